"""Presence polls on the ticket page, one's own away status, a department's assignment rule."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helpline.accounts.models import Department, User
from helpline.administration.views.base import page
from helpline.core.decorators import admin_required, staff_required
from helpline.core.errors import DomainError
from helpline.desk.permissions import staff_ticket_or_404
from helpline.tickets.models import Ticket

from .forms import AssignmentRuleForm, StaffStatusForm
from .models import AssignmentMode, AssignmentRule, Availability, StaffStatus
from .presence import POLL_SECONDS, presence_beat, presence_etag
from .reference import absences
from .services import assignment_rule_set, staff_status_set


def _staff(request: HttpRequest) -> User:
    """The signed-in staff member (the decorators let nobody else through)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _uncached(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    # Asked again every time, never kept by a shared cache: one agent's view of the request.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response


@staff_required
@require_GET
def presence(request: HttpRequest, pk: int) -> HttpResponse:
    """`?writing=reply|note`: the ticket page's heartbeat. Records this agent on the request and
    answers with the colleagues there now; `304` without a body when that has not changed."""
    user = _staff(request)
    ticket = staff_ticket_or_404(user, pk, Ticket.objects.only("id"))
    others = presence_beat(ticket.pk, user.pk, request.GET.get("writing", ""))
    away = absences()
    states = [away.get(p.user_id, (Availability.PRESENT, None))[0] for p in others]
    etag = presence_etag(others, states)
    if request.headers.get("If-None-Match") == etag:
        return _uncached(HttpResponse(status=304), etag)
    people = {u.pk: u for u in User.objects.filter(pk__in=[p.user_id for p in others])}
    colleagues = [
        (people[p.user_id], p.writing, state)
        for p, state in zip(others, states, strict=True)
        if p.user_id in people
    ]
    context = {"ticket": ticket, "colleagues": colleagues, "etag": etag, "seconds": POLL_SECONDS}
    return _uncached(render(request, "teamwork/_presence.html#answer", context), etag)


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@staff_required
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """One's own away status: present, away, or off until a date."""
    user = _staff(request)
    current = StaffStatus.objects.filter(user=user).first()
    initial = {
        "state": current.state if current else Availability.PRESENT,
        "until": current.until if current else None,
        "skills": ", ".join(current.skills) if current else "",
        "next": request.GET.get("next", ""),
    }
    form = StaffStatusForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_status_set(
                actor=user,
                state=form.cleaned_data["state"],
                until=form.cleaned_data["until"],
                skills=form.cleaned_data["skills"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Your status is saved."))
            return redirect(_safe_next(request, form.cleaned_data["next"]) or "teamwork:status")
    return render(
        request, "teamwork/status.html", {"form": form}, status=422 if form.errors else 200
    )


@admin_required
@require_http_methods(["GET", "POST"])
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """A department's assignment rule (administrators)."""
    department = get_object_or_404(Department, pk=pk)
    rule = AssignmentRule.objects.filter(department=department).first()
    form = AssignmentRuleForm(
        request.POST or None,
        initial={
            "mode": rule.mode if rule else AssignmentMode.MANUAL,
            "by_skills": rule.by_skills if rule else False,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            assignment_rule_set(
                actor=_staff(request),
                department=department,
                mode=form.cleaned_data["mode"],
                by_skills=form.cleaned_data["by_skills"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, _("Assignment in “%(name)s” saved.") % {"name": department.name}
            )
            return redirect("manage:department", pk=department.pk)
    response: HttpResponse = page(
        request,
        "teamwork/assignment.html",
        {
            "form": form,
            "department": department,
            "back_url": reverse("manage:department", args=[department.pk]),
        },
        menu="departments",
    )
    return response
