"""Writing on a ticket: replies and notes with attachments, the side panel, tags."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpline.core.decorators import staff_required
from helpline.core.errors import DomainError
from helpline.desk.timeline import ticket_page
from helpline.tickets.services import (
    ticket_note_add,
    ticket_reply_add,
    ticket_tags_set,
    ticket_update,
)

from .page import changed, make_form, refused, status_for


def _add_error(form, exc: DomainError) -> str | None:
    """Put the service's message on its field; a message about no field is returned instead,
    to be shown above the page (the form it came from may not even be on the page)."""
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
        return None
    return exc.message


@staff_required
@require_POST
def reply(request, pk: int):
    """A public reply, optionally moving the request to another status."""
    page = ticket_page(request.user, pk)
    form = make_form("reply_form", page, request.POST, request.FILES)
    status, message = 422, None
    if form.is_valid():
        try:
            entry = ticket_reply_add(
                ticket=page.ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                status=form.cleaned_data["status"],
            )
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(request, pk, _("Reply sent."), anchor=f"#entry-{entry.pk}")
    return refused(
        request,
        page,
        parts=("composer",),
        status=status,
        message=message,
        reply_form=form,
        active_tab="reply",
    )


@staff_required
@require_POST
def note(request, pk: int):
    """An internal note, never shown to the requester."""
    page = ticket_page(request.user, pk)
    form = make_form("note_form", page, request.POST, request.FILES)
    status, message = 422, None
    if form.is_valid():
        try:
            entry = ticket_note_add(
                ticket=page.ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(
                request, pk, _("Note added."), anchor=f"#entry-{entry.pk}", active_tab="note"
            )
    return refused(
        request,
        page,
        parts=("composer",),
        status=status,
        message=message,
        note_form=form,
        active_tab="note",
    )


@staff_required
@require_POST
def fields(request, pk: int):
    """The side panel: one update with only the changed fields, refused if the version is old."""
    page = ticket_page(request.user, pk)
    form = make_form("fields_form", page, request.POST)
    status, message = 422, None
    if form.is_valid():
        try:
            ticket_update(
                ticket=page.ticket,
                actor=request.user,
                reason=form.cleaned_data["reason"].strip(),
                expected_version=form.cleaned_data["version"],
                **form.changes(),
            )
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(request, pk, _("Changes saved."))
    if status == 409:
        message = None  # the side panel says it, with a reload link
    return refused(
        request,
        page,
        parts=("side",),
        status=status,
        message=message,
        fields_form=form,
        conflict=status == 409,
    )


@staff_required
@require_POST
def tags(request, pk: int):
    page = ticket_page(request.user, pk)
    form = make_form("tags_form", page, request.POST)
    status, message = 422, None
    if form.is_valid():
        try:
            ticket_tags_set(ticket=page.ticket, actor=request.user, names=form.names())
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(request, pk, _("Tags saved."))
    return refused(request, page, parts=("side",), status=status, message=message, tags_form=form)
