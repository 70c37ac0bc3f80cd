"""Pages of time accounting: the ticket's time panel and its actions, editing an entry, the
activity statistics, the exports, and the administrators' activity types."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.models import Organisation
from helpline.administration.views.base import page as manage_page
from helpline.core.decorators import admin_required, staff_required
from helpline.core.errors import DomainError
from helpline.desk.permissions import staff_ticket_or_404
from helpline.desk.selectors import desk_context

from . import services
from .access import may_change, report_departments, report_people
from .csvexport import csv_response
from .forms import ActivityTypeForm, PeriodForm, TimeEntryForm, TimerStopForm
from .models import ActivityType, TimeEntry
from .selectors import minutes_text, ticket_time, time_entries_report
from .stats import activity_statistics

PANEL = "timelog/_ticket_time.html"


def _panel(request, ticket, *, form=None, error: str | None = None, status: int = 200):
    """The time panel of `ticket`: the fragment for htmx, the ticket page otherwise."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("desk:ticket", args=[ticket.pk]) + f"#ticket-{ticket.pk}-time")
    time = ticket_time(request.user, ticket)
    form = form or TimeEntryForm(activities=time.activities, auto_id=f"time-{ticket.pk}-%s")
    response = render(
        request,
        PANEL,
        {"ticket": ticket, "time": time, "form": form, "error": error},
        status=status,
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_required
@require_GET
def ticket_panel(request, pk: int):
    """The time panel (loaded by the ticket page once it is shown)."""
    ticket = staff_ticket_or_404(request.user, pk)
    if not request.htmx:
        return redirect(reverse("desk:ticket", args=[pk]) + f"#ticket-{pk}-time")
    return _panel(request, ticket)


@staff_required
@require_POST
def entry_add(request, pk: int):
    ticket = staff_ticket_or_404(request.user, pk)
    form = TimeEntryForm(request.POST, auto_id=f"time-{pk}-%s")
    if not form.is_valid():
        return _panel(request, ticket, form=form, status=422, error=_("Check the time entry."))
    data = form.cleaned_data
    try:
        services.time_entry_add(
            ticket=ticket,
            actor=request.user,
            minutes=data["duration"],
            date=data["date"],
            activity=data["activity"],
            billable=data["billable"],
            comment=data["comment"],
        )
    except DomainError as exc:
        return _panel(request, ticket, form=form, status=422, error=exc.message)
    return _panel(request, ticket)


@staff_required
@require_POST
def timer_start(request, pk: int):
    ticket = staff_ticket_or_404(request.user, pk)
    try:
        services.timer_start(ticket=ticket, actor=request.user)
    except DomainError as exc:
        return _panel(request, ticket, status=422, error=exc.message)
    return _panel(request, ticket)


@staff_required
@require_POST
def timer_stop(request, pk: int):
    ticket = staff_ticket_or_404(request.user, pk)
    form = TimerStopForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        if request.POST.get("discard"):
            services.timer_discard(ticket=ticket, actor=request.user)
        else:
            services.timer_stop(
                ticket=ticket,
                actor=request.user,
                activity=data.get("activity"),
                billable=data.get("billable") or None,
                comment=data.get("comment", ""),
            )
    except DomainError as exc:
        return _panel(request, ticket, status=422, error=exc.message)
    return _panel(request, ticket)


def _entry_or_404(user, pk: int) -> TimeEntry:
    """A time entry on a request `user` may open at the desk and may change."""
    entry = get_object_or_404(TimeEntry.objects.select_related("activity"), pk=pk)
    ticket = staff_ticket_or_404(user, entry.ticket_id)
    if not may_change(user, entry, ticket):
        raise Http404
    entry.ticket = ticket
    return entry


@staff_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk: int):
    entry = _entry_or_404(request.user, pk)
    form = TimeEntryForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.time_entry_change(
                entry=entry,
                actor=request.user,
                minutes=data["duration"],
                date=data["date"],
                activity=data["activity"],
                billable=data["billable"],
                comment=data["comment"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Time entry saved."))
            return redirect(
                reverse("desk:ticket", args=[entry.ticket_id]) + f"#ticket-{entry.ticket_id}-time"
            )
    context = {"form": form, "entry": entry, "ticket": entry.ticket, **desk_context(request)}
    return render(request, "timelog/entry_edit.html", context, status=422 if form.errors else 200)


@staff_required
@require_POST
def entry_delete(request, pk: int):
    entry = _entry_or_404(request.user, pk)
    try:
        services.time_entry_delete(entry=entry, actor=request.user)
    except DomainError as exc:
        return _panel(request, entry.ticket, status=403, error=exc.message)
    if not request.htmx:
        messages.success(request, _("Time entry deleted."))
    return _panel(request, entry.ticket)


# --- reports ---------------------------------------------------------------------------------


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds / 3600:.1f}"


@staff_required
@require_GET
def activity(request):
    """Activity statistics for a period: one's own, a supervisor's departments, everything for
    administrators (the rules live in `access`; the figures in `stats`)."""
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    stats = activity_statistics(request.user, start=start, end=end)
    chart = {
        "labels": [row.name for row in stats.people],
        "series": [
            {"label": _("Replies"), "data": [row.replies for row in stats.people]},
            {"label": _("Resolved"), "data": [row.resolved for row in stats.people]},
            {
                "label": _("Hours logged"),
                "data": [round(row.minutes / 60, 1) for row in stats.people],
            },
        ],
    }
    context = {
        "form": form,
        "stats": stats,
        "people": report_people(request.user).only("id", "first_name", "last_name", "email"),
        "departments": report_departments(request.user).only("id", "name", "path"),
        "organisations": Organisation.objects.filter(
            pk__in=time_entries_report(request.user, start=start, end=end).values(
                "ticket__organisation_id"
            )
        ).only("id", "name"),
        "chart": chart,
        "start": start,
        "end": end,
        **desk_context(request),
    }
    response = render(request, "timelog/activity.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_required
@require_GET
def activity_export(request):
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    stats = activity_statistics(request.user, start=start, end=end)
    header = [
        _("Kind"),
        _("Name"),
        _("Taken"),
        _("Replies"),
        _("Notes"),
        _("Resolved"),
        _("Reopened afterwards"),
        _("Median first response (hours)"),
        _("Time logged (minutes)"),
    ]

    def rows():
        for kind, group in ((_("person"), stats.people), (_("department"), stats.departments)):
            for row in group:
                yield [
                    kind,
                    row.name,
                    row.taken,
                    row.replies,
                    row.notes,
                    row.resolved,
                    row.reopened,
                    _hours(row.median_response),
                    row.minutes,
                ]

    return csv_response(f"activity-{start}-{end}.csv", header, rows())


@staff_required
@require_GET
def time_export(request):
    """Time entries as CSV, by person, department, organisation and period, limited to what the
    reader may see in reports."""
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    entries = time_entries_report(request.user, start=start, end=end, **form.narrowing())
    header = [
        _("Date"),
        _("Person"),
        _("Email"),
        _("Request"),
        _("Subject"),
        _("Department"),
        _("Organisation"),
        _("Activity"),
        _("Billable"),
        _("Minutes"),
        _("Hours"),
        _("Comment"),
    ]

    def rows():
        for entry in entries.iterator(chunk_size=2000):
            ticket = entry.ticket
            yield [
                entry.date.isoformat(),
                entry.author.display_name,
                entry.author.email,
                ticket.reference,
                ticket.subject,
                ticket.department.name,
                ticket.organisation.name if ticket.organisation else "",
                entry.activity.name if entry.activity else "",
                entry.billable,
                entry.minutes,
                minutes_text(entry.minutes),
                entry.comment,
            ]

    return csv_response(f"time-{start}-{end}.csv", header, rows())


# --- administration: activity types ------------------------------------------------------------


@admin_required
@require_GET
def activity_type_index(request):
    types = ActivityType.objects.all()
    return manage_page(
        request, "timelog/activity_types.html", {"types": types}, menu="activity_types"
    )


@admin_required
@require_http_methods(["GET", "POST"])
def activity_type_edit(request, pk: int | None = None):
    activity_type = get_object_or_404(ActivityType, pk=pk) if pk else ActivityType()
    form = ActivityTypeForm(request.POST or None, instance=activity_type)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_type_save(activity_type=form.instance, actor=request.user)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("Activity type “%(name)s” saved.") % {"name": activity_type}
            )
            return redirect("timelog:activity_types")
    shown = ActivityType.objects.get(pk=pk) if pk else None
    return manage_page(
        request,
        "timelog/activity_type_form.html",
        {"form": form, "activity_type": shown, "back_url": reverse("timelog:activity_types")},
        menu="activity_types",
    )
