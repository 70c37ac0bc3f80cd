"""Actions on a ticket, one service each: take, escalate, hand over, merge, link, trash."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpline.core.decorators import staff_required
from helpline.core.errors import Conflict, DomainError, ValidationFailed
from helpline.core.forms import add_domain_error
from helpline.desk.permissions import staff_ticket_or_404, staff_tickets
from helpline.desk.selectors import view_counts_forget
from helpline.desk.timeline import TicketPage, ticket_page
from helpline.tickets import services

from .page import changed, conflicted, make_form, refused, refused_by_service, status_for


def _dialog_refused(request, page: TicketPage, name: str, form, status: int = 422):
    """A dialog's form again with its errors; the dialog reopens after a plain post."""
    return refused(
        request,
        page,
        parts=("forms",),
        status=status,
        modal_open=name,
        **{f"{name}_form": form},
    )


# A dialog refused for an old page re-renders with the page's changed parts and reopens.
DIALOG_CONFLICT = ("header", "thread", "side", "forms")


def _dialog_action(request, pk: int, name: str, act, done: str):
    """Parse the dialog's form, call the service through `act(page, data)`, answer."""
    page = ticket_page(request.user, pk)
    form = make_form(f"{name}_form", page, request.POST)
    if not form.is_valid():
        return _dialog_refused(request, page, name, form)
    try:
        act(page, form.cleaned_data)
    except Conflict:
        return conflicted(request, pk, name, form, parts=DIALOG_CONFLICT, modal_open=name)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _dialog_refused(request, page, name, form, status_for(exc))
    return changed(request, pk, done)


@staff_required
@require_POST
def take(request, pk: int):
    """Take: the signed-in agent becomes responsible. Refused from an older page (someone may
    just have taken it), with who did what since and "take anyway"."""
    page = ticket_page(request.user, pk)
    form = make_form("take_form", page, request.POST)
    form.is_valid()  # only hidden, optional fields: always valid
    try:
        services.ticket_take(
            ticket=page.ticket, actor=request.user, expected_version=form.rendered_version()
        )
    except Conflict:
        return conflicted(request, pk, "take", form, parts=("header", "thread", "side"))
    except DomainError as exc:
        return refused_by_service(request, page, exc)
    return changed(request, pk, _("You are now responsible for this request."))


@staff_required
@require_POST
def escalate(request, pk: int):
    def act(page, data):
        services.ticket_escalate(
            ticket=page.ticket,
            actor=request.user,
            expected_version=data["version"],
            department=data["department"],
            reason=data["reason"],
        )

    return _dialog_action(request, pk, "escalate", act, _("Escalated to the next line."))


@staff_required
@require_POST
def hand_to_supervisor(request, pk: int):
    def act(page, data):
        services.ticket_hand_to_supervisor(
            ticket=page.ticket,
            actor=request.user,
            expected_version=data["version"],
            supervisor=data["supervisor"],
            reason=data["reason"],
        )

    return _dialog_action(request, pk, "supervisor", act, _("Handed to the supervisor."))


@staff_required
@require_POST
def transfer(request, pk: int):
    def act(page, data):
        services.ticket_transfer(
            ticket=page.ticket,
            actor=request.user,
            expected_version=data["version"],
            department=data["department"],
            reason=data["reason"],
        )

    return _dialog_action(request, pk, "transfer", act, _("Transferred."))


def _other_ticket(user, number: int, field: str):
    """Another request the agent can see, or a message that names the problem."""
    other = staff_tickets(user).filter(pk=number).first()
    if other is None:
        raise ValidationFailed(
            _("There is no request #%(number)s that you can see.") % {"number": number},
            field=field,
        )
    return other


@staff_required
@require_POST
def merge(request, pk: int):
    """Merge this request into another of the same requester; answers with the target."""
    page = ticket_page(request.user, pk)
    form = make_form("merge_form", page, request.POST)
    if not form.is_valid():
        return _dialog_refused(request, page, "merge", form)
    try:
        target = _other_ticket(request.user, form.cleaned_data["target"], "target")
        services.ticket_merge(
            source=page.ticket,
            target=target,
            actor=request.user,
            expected_version=form.rendered_version(),
        )
    except Conflict:
        return conflicted(request, pk, "merge", form, parts=DIALOG_CONFLICT, modal_open="merge")
    except DomainError as exc:
        form.add_error("target", exc.message)
        return _dialog_refused(request, page, "merge", form, status_for(exc))
    messages.success(
        request,
        _("#%(source)s was merged into this request.") % {"source": page.ticket.pk},
    )
    url = reverse("desk:ticket", args=[target.pk])
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


@staff_required
@require_POST
def link(request, pk: int):
    def act(page, data):
        other = _other_ticket(request.user, data["other"], "other")
        services.ticket_link(ticket=page.ticket, other=other, actor=request.user)

    return _dialog_action(request, pk, "link", act, _("Requests linked."))


@staff_required
@require_POST
def unlink(request, pk: int, other: int):
    page = ticket_page(request.user, pk)
    linked = next((t for t in page.links if t.pk == other), None)
    if linked is None:
        return changed(request, pk, _("The link was already gone."))
    try:
        services.ticket_unlink(ticket=page.ticket, other=linked, actor=request.user)
    except DomainError as exc:
        return refused_by_service(request, page, exc)
    return changed(request, pk, _("Link removed."))


@staff_required
@require_POST
def watch(request, pk: int):
    """Follow (`watch=1`) or stop following (`watch=0`) the request."""
    page = ticket_page(request.user, pk)
    follow = request.POST.get("watch") == "1"
    try:
        services.ticket_watch(ticket=page.ticket, actor=request.user, watch=follow)
    except DomainError as exc:
        return refused_by_service(request, page, exc)
    return changed(
        request, pk, _("You are watching this request.") if follow else _("You stopped watching.")
    )


def _trash_action(request, pk: int, service, done: str):
    ticket = staff_ticket_or_404(request.user, pk)
    try:
        service(ticket=ticket, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
        view_counts_forget(request.user)
    return redirect("desk:ticket", pk=pk)


@staff_required
@require_POST
def delete(request, pk: int):
    """Move to the trash (plain post after the browser's confirmation)."""
    return _trash_action(request, pk, services.ticket_delete, _("Moved to the trash."))


@staff_required
@require_POST
def restore(request, pk: int):
    return _trash_action(request, pk, services.ticket_restore, _("Restored from the trash."))


@staff_required
@require_POST
def purge(request, pk: int):
    """Delete for good; answers with the trash view of the board."""
    ticket = staff_ticket_or_404(request.user, pk)
    try:
        services.ticket_purge(ticket=ticket, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("desk:ticket", pk=pk)
    messages.success(request, _("#%(number)s was deleted for good.") % {"number": pk})
    view_counts_forget(request.user)
    return redirect(reverse("desk:board") + "?view=trash")
