"""The ticket board: views, filters, keyset pages and bulk actions; new requests on a caller's
behalf and the requester look-up that goes with them."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from helpline.accounts.models import Department, User
from helpline.accounts.services import StaffAddressRefused, requester_register
from helpline.core.decorators import staff_required
from helpline.core.errors import DomainError
from helpline.core.submissions import submission_once
from helpline.replies.selectors import template_usable
from helpline.replies.services import macro_apply
from helpline.tickets import services
from helpline.tickets.access import departments_with, requester_directory

from ..forms import BoardFilterForm, BulkForm, NewRequestForm
from ..lookups import LOOKUP_KINDS, lookup_options
from ..permissions import staff_tickets
from ..rows import board_rows, rows_html
from ..selectors import (
    BOARD_VIEWS,
    SORT_LABELS,
    board_choices,
    departments_viewable,
    desk_context,
    filter_tickets,
    requester_matches,
    ticket_board,
    ticket_number,
    view_counts_forget,
    view_tickets,
    visible_ticket_id,
)

EMPTY = {
    "mine": gettext_lazy("Nothing open is assigned to you. Take one from the unassigned queue."),
    "unassigned": gettext_lazy("Every open request in your departments has an owner."),
    "open": gettext_lazy("No open requests in your departments. New ones appear here."),
    "pending": gettext_lazy("Nothing is waiting on a requester or a third party."),
    "recent": gettext_lazy("No request changed in the last seven days."),
    "archive": gettext_lazy("No closed requests yet."),
    "trash": gettext_lazy("The trash is empty."),
    "all": gettext_lazy("No requests yet."),
}
# Query parameters the board carries from page to page (and back after a bulk action).
BOARD_PARAMS = (
    "view",
    "status",
    "ticket_class",
    "priority",
    "department",
    "responsible",
    "channel",
    "organisation",
    "requester",
    "tag",
    "q",
    "sort",
    "dir",
    "after",
    "before",
    # "1": the board shows the time logged on each request (helpline.timelog), as a column.
    "time",
)


def _board_query(data: QueryDict) -> dict[str, str]:
    return {k: data[k] for k in BOARD_PARAMS if data.get(k)}


def _with_vary(response):
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_required
@require_GET
def board(request):
    user = request.user
    choices = board_choices(user)
    if request.htmx and request.GET.get("part") == "assignees":
        # The bulk bar opened: its assignee select with every colleague (BulkForm.staff_later).
        assignee = BulkForm(choices=choices, user=user)["assignee"]
        return _with_vary(HttpResponse(str(assignee)))
    form = BoardFilterForm(request.GET, choices=choices, user=user)
    view_key = form.current_view
    filters = form.filters()

    number = ticket_number(filters.text)
    if number is not None and (pk := visible_ticket_id(user, number)) is not None:
        url = reverse("desk:ticket", args=[pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    qs = filter_tickets(view_tickets(user, view_key), filters, user)
    show_time = request.GET.get("time") == "1"
    page = ticket_board(
        qs,
        sort=form.current_sort,
        descending=form.descending,
        after=form.value("after") or "",
        before=form.value("before") or "",
        time_total=show_time,
    )
    query = _board_query(request.GET)
    query["view"] = view_key
    board_path = reverse("desk:board")
    chips = form.chips()
    for chip in chips:
        # Without JavaScript a chip is a link to the board without its filter, on the first page.
        kept = {k: v for k, v in query.items() if k not in (chip["name"], "after", "before")}
        chip["url"] = f"{board_path}?{urlencode(kept)}"
    context = {
        "form": form,
        "chips": chips,
        "page": page,
        "rows_html": rows_html(
            board_rows(page.tickets, trash=view_key == "trash"),
            trash=view_key == "trash",
            show_time=show_time,
        ),
        "view": BOARD_VIEWS[view_key],
        "filters": filters,
        "empty_message": EMPTY[view_key],
        "sort_label": SORT_LABELS[form.current_sort].lower(),
        "bulk_form": BulkForm(
            choices=choices, user=user, staff_later=f"{reverse('desk:board')}?part=assignees"
        ),
        "board_path": board_path,
        "board_query": query,
        "back": urlencode(query),
        "can_delete": view_key != "trash" and departments_with(user, "manage") != frozenset(),
        "can_restore": view_key == "trash" and user.is_supervisor_or_admin,
        "show_time": show_time,
        "time_toggle": f"{board_path}?"
        + urlencode(
            {k: v for k, v in query.items() if k != "time"} | ({} if show_time else {"time": "1"})
        ),
    }
    if request.htmx:
        response = render(request, "desk/board.html#ticket-list", context)
        # The address bar shows the board's tidy query, not every empty field of the filter form.
        response["HX-Push-Url"] = f"{context['board_path']}?{context['back']}"
        return _with_vary(response)
    context |= desk_context(request, current_view=view_key)
    return _with_vary(render(request, "desk/board.html", context))


def _bulk_apply(action: str, ticket, actor, form: BulkForm, assignee) -> None:
    if action == "assign":
        services.ticket_update(ticket=ticket, actor=actor, assignee=assignee)
    elif action == "transfer":
        services.ticket_transfer(
            ticket=ticket,
            actor=actor,
            department=form.target("department"),
            reason=form.cleaned_data["reason"],
        )
    elif action == "status":
        services.ticket_update(ticket=ticket, actor=actor, status=form.target("status"))
    elif action == "priority":
        services.ticket_update(ticket=ticket, actor=actor, priority=form.cleaned_data["priority"])
    elif action == "delete":
        services.ticket_delete(ticket=ticket, actor=actor, reason=form.cleaned_data["reason"])
    elif action == "restore":
        services.ticket_restore(ticket=ticket, actor=actor)


def _assignee(form: BulkForm, choices, user) -> User | None:
    value = form.cleaned_data.get("assignee")
    if value == "me":
        return user
    if value in ("", "none", None):
        return None
    return next(u for u in choices.staff if str(u.pk) == value)


@staff_required
@require_POST
def bulk(request):
    """Apply one action to the ticked requests, each through its service; one refusal does not
    stop the others, and the agent is told which were skipped and why."""
    user = request.user
    choices = board_choices(user)
    form = BulkForm(request.POST, choices=choices, user=user)
    back = _board_query(QueryDict(request.POST.get("back", "")))
    back_url = reverse("desk:board") + (f"?{urlencode(back)}" if back else "")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(back_url)

    action = form.cleaned_data["action"]
    if action == "macro":
        return _bulk_macro(request, form, back_url)
    assignee = _assignee(form, choices, user) if action == "assign" else None
    # Tickets the agent cannot see are not there for them: ignored, not reported. Each one is
    # changed in its own transaction, one row lock at a time, in id order: a bulk action never
    # holds two tickets' locks at once, so it cannot deadlock with another bulk action or a merge.
    tickets = list(staff_tickets(user).filter(pk__in=form.cleaned_data["ids"]).order_by("pk"))
    updated, skipped = 0, []
    for ticket in tickets:
        try:
            _bulk_apply(action, ticket, user, form, assignee)
        except DomainError as exc:
            skipped.append(f"{ticket.reference} ({exc.message})")
        else:
            updated += 1
    view_counts_forget(user)

    if not tickets:
        messages.error(request, _("None of the selected requests could be found."))
    elif skipped:
        shown = ", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")
        messages.warning(
            request,
            _("%(updated)s updated, %(skipped)s skipped: %(list)s")
            % {"updated": updated, "skipped": len(skipped), "list": shown},
        )
    else:
        messages.success(
            request,
            ngettext("%(count)s request updated.", "%(count)s requests updated.", updated)
            % {"count": updated},
        )
    return redirect(back_url)


def _bulk_macro(request, form: BulkForm, back_url: str):
    """Apply a macro to the ticked requests (helpline.replies.services.macro_apply) and report,
    request by request, each action that was refused and why."""
    user = request.user
    template = template_usable(user, form.cleaned_data["template"])
    if template is None:
        messages.error(request, _("That macro is not available to you."))
        return redirect(back_url)
    tickets = list(
        staff_tickets(user)
        .select_related("requester", "department")
        .filter(pk__in=form.cleaned_data["ids"])
        .order_by("pk")
    )
    if not tickets:
        messages.error(request, _("None of the selected requests could be found."))
        return redirect(back_url)
    try:
        outcomes = macro_apply(template=template, tickets_=tickets, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back_url)
    view_counts_forget(user)
    changed = sum(1 for o in outcomes if o.applied)
    refused = [o for o in outcomes if o.refused]
    if refused:
        messages.warning(
            request,
            _(
                "Macro “%(name)s”: %(changed)s of %(count)s requests changed; something was "
                "refused on %(refused)s."
            )
            % {
                "name": template.name,
                "changed": changed,
                "count": len(outcomes),
                "refused": len(refused),
            },
        )
        for outcome in refused[:10]:
            messages.warning(
                request,
                _("%(ref)s: %(list)s")
                % {
                    "ref": outcome.ticket.reference,
                    "list": "; ".join(
                        _("could not %(action)s (%(reason)s)") % {"action": a, "reason": r}
                        for a, r in outcome.label_refused
                    ),
                },
            )
        if len(refused) > 10:
            messages.warning(request, _("… and %(count)s more.") % {"count": len(refused) - 10})
    else:
        messages.success(
            request,
            ngettext(
                "Macro “%(name)s” applied to %(count)s request.",
                "Macro “%(name)s” applied to %(count)s requests.",
                changed,
            )
            % {"name": template.name, "count": changed},
        )
    return redirect(back_url)


# --- a new request on a requester's behalf --------------------------------------------------

# Where a service's complaint about a field belongs on the new-request form.
_FIELD_FOR = {
    "email": "new_email",
    "name": "new_name",
    "phone": "new_phone",
    "subject": "subject",
    "body": "body",
    "channel": "channel",
}


def _selected_requester(request, form: NewRequestForm) -> User | None:
    if form.is_bound and hasattr(form, "cleaned_data"):
        return form.cleaned_data.get("requester")
    raw = request.GET.get("requester", "")
    return form.fields["requester"].queryset.filter(pk=raw).first() if raw.isdigit() else None


@transaction.atomic
def _ticket_new_create(data: dict, user):
    """Register a new requester if needed and open the ticket: they stand or fall together."""
    requester = data["requester"] or requester_register(
        email=data["new_email"],
        name=data["new_name"],
        phone=data["new_phone"],
        organisation=data["new_organisation"],
        actor=user,
        staff_confirmed=data["confirm_staff_address"],
    )
    return services.ticket_create(
        actor=user,
        requester=requester,
        subject=data["subject"],
        body=data["body"],
        channel=data["channel"],
        department=data["department"],
        ticket_class=data["ticket_class"],
        impact=data["impact"],
        urgency=data["urgency"],
        files=data["attachments"],
        assignee=user if data["assign_to_me"] else None,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    user = request.user
    staff_address_warning = False
    # Staff open requests where they may answer them (the service checks again).
    departments = departments_viewable(
        user, list(Department.objects.filter(is_active=True).order_by("path")), right="reply"
    )
    if request.method == "POST":
        form = NewRequestForm(request.POST, request.FILES, departments=departments, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = submission_once(
                    key=data["submission"],
                    scope="desk.request",
                    user=user,
                    write=lambda: _ticket_new_create(data, user),
                )
            except StaffAddressRefused as exc:
                # Never filed under a staff account silently: the agent must tick the box.
                form.add_error("new_email", exc.message)
                staff_address_warning = True
            except DomainError as exc:
                form.add_error(_FIELD_FOR.get(exc.field or ""), exc.message)
            else:
                ticket = done.result
                if ticket is None:  # a repeat of a request purged since
                    return redirect("desk:board")
                view_counts_forget(user)
                messages.success(
                    request,
                    _("Request %(ref)s created for %(name)s.")
                    % {"ref": ticket.reference, "name": ticket.requester.display_name},
                )
                return redirect("desk:ticket", pk=ticket.pk)
    else:
        # The no-JavaScript requester search submits the form as GET: keep what was typed.
        form = NewRequestForm(initial=request.GET.dict(), departments=departments, user=user)
    find = request.GET.get("find", "") if request.method == "GET" else ""
    selected = _selected_requester(request, form)
    matches = requester_matches(user, find) if find else []
    context = {
        "form": form,
        "find": find,
        "matches": _with_selected(matches, selected),
        "selected": selected,
        "searched": bool(find),
        "staff_address_warning": staff_address_warning,
    }
    context |= desk_context(request)
    return render(request, "desk/new.html", context)


def _with_selected(matches: list[User], selected: User | None) -> list[User]:
    if selected is None or any(m.pk == selected.pk for m in matches):
        return matches
    return [selected, *matches]


@staff_required
@require_GET
def requester_lookup(request):
    """Up to ten requesters matching what the agent types (htmx fragment of the new form)."""
    find = request.GET.get("find", "").strip()[:100]
    raw = request.GET.get("requester", "")
    selected = None
    if raw.isdigit():
        selected = requester_directory(request.user).filter(pk=raw).first()
    context = {
        "matches": _with_selected(requester_matches(request.user, find), selected),
        "selected": selected,
        "searched": len(find) >= 2,
        "find": find,
    }
    return _with_vary(render(request, "desk/new.html#requester-results", context))


@staff_required
@require_GET
def lookup(request, kind: str):
    """The board filter bar's typeahead: up to ten `kind` options matching what the agent typed,
    among what they may see (htmx fragment: a listbox's options)."""
    if kind not in LOOKUP_KINDS:
        raise Http404
    text = request.GET.get("q", "")
    context = {"kind": kind, "options": lookup_options(request.user, kind, text), "q": text}
    # Without the page's context processors: a typeahead answer needs nothing but its options.
    return _with_vary(HttpResponse(render_to_string("desk/_lookup.html", context)))
