"""Writing on a ticket: replies and notes with attachments, the side panel, tags."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpline.core.decorators import staff_required
from helpline.core.errors import Conflict, DomainError, ValidationFailed
from helpline.core.submissions import submission_once
from helpline.desk.timeline import ticket_page, ticket_page_for_entry
from helpline.replies.selectors import template_usable
from helpline.replies.services import reply_with_template
from helpline.tickets.mentions import mentions_parse
from helpline.tickets.models import OPEN_CATEGORIES, Entry
from helpline.tickets.services import (
    ticket_note_add,
    ticket_tags_set,
    ticket_update,
)

from .page import Written, changed, conflicted, make_form, refused, status_for

# Ticket fields the header and side panel show (besides the status and first response).
FIELDS_SHOWN = (
    "ticket_class",
    "impact",
    "urgency",
    "priority",
    "department_id",
    "assignee_id",
    "line",
    "resolved_at",
    "closed_at",
)
# What a conflict re-renders: the thread and header show what changed, the form keeps the text.
COMPOSER_CONFLICT = ("header", "thread", "composer")


def _add_error(form, exc: DomainError) -> str | None:
    """Put the service's message on its field; a message about no field is returned instead,
    to be shown above the page (the form it came from may not even be on the page)."""
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
        return None
    return exc.message


def _others_wrote(page, user, seen: int | None) -> bool:
    """Whether someone else added to the thread (a reply, a note, a change) after entry `seen`,
    the newest the form's page showed: a reply or note sent now may no longer fit. One query."""
    if seen is None:
        return False
    if page.others_after is not None and page.others_after[0] == seen:
        return page.others_after[1]  # asked with the ticket's row
    # Whose entries came after it (nearly always none), asked in Python: cheaper to build than
    # an EXISTS excluding the writer, which also keeps entries without an author.
    authors = Entry.objects.filter(ticket_id=page.ticket.pk, pk__gt=seen).values_list(
        "author_id", flat=True
    )
    return any(author != user.pk for author in authors)


def _posted_entry(value: str | None) -> int | None:
    """The entry id a form carries (`seen`), read before the form is (the form decides: when it
    reads another value, `_others_wrote` asks again)."""
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _entry_anchor(entry) -> str:
    return f"#entry-{entry.pk}" if entry is not None else ""


def _written(
    page,
    form,
    done=None,
    *,
    ticket=None,
    composer: bool = True,
    form_only: str = "",
    alone: bool = False,
) -> Written | None:
    """What the write did, for an answer with only that (`page.written_fragments`); None when
    it cannot tell (a repeated post answered with the first one's entry). `alone`: the entry
    is all the write added to the thread, with no files (the answer shows it as saved)."""
    if done is not None:
        if not done.created or done.result is None:
            return None
        ticket = done.result.ticket  # the row the service locked, updated and re-read
    before = page.ticket
    fields = any(
        getattr(ticket, name) != getattr(before, name)
        for name in ("status_id", "first_response_at", *FIELDS_SHOWN)
    )
    return Written(
        page=page,
        shown_version=form.cleaned_data.get("version"),
        seen=form.cleaned_data.get("seen"),
        version=ticket.version,
        ticket=ticket,
        fields=fields,
        composer=composer,
        panel=(ticket.status_category in OPEN_CATEGORIES)
        != (before.status_category in OPEN_CATEGORIES)
        or ticket.department_id != before.department_id,
        form_only=form_only,
        entry=done.result if alone and done is not None else None,
        form=form,
    )


@staff_required
@require_POST
def reply(request, pk: int):
    """A public reply, optionally moving the request to another status, optionally written from
    a reply template whose macro actions then run with it (all or nothing).

    A reply that also sets a status is refused when the page is older than the request (the
    status may have been set by someone else meanwhile). A plain reply overwrites nothing, but
    when someone else wrote or changed something since the page was shown it is held back once
    with what changed (409): sending again goes through. The form's one-time key makes a
    repeated post add one reply.
    """
    # Only what the write needs: the row (the service locks it again) and the reference data;
    # whether others wrote after the page's newest entry comes with the row.
    page = ticket_page_for_entry(
        request.user, pk, others_after=_posted_entry(request.POST.get("seen"))
    )
    form = make_form("reply_form", page, request.POST, request.FILES)
    status, message = 422, None
    if form.is_valid() and _others_wrote(page, request.user, form.cleaned_data["seen"]):
        # Not sent yet: the agent reads what came in, then sends anyway or revises.
        return conflicted(request, pk, "reply", form, parts=COMPOSER_CONFLICT, active_tab="reply")
    if form.is_valid():
        data = form.cleaned_data
        template = template_usable(request.user, data["template"]) if data["template"] else None
        try:
            if data["template"] and template is None:
                raise ValidationFailed(_("That reply template is not available to you."))
            done = submission_once(
                key=data["submission"],
                scope="desk.reply",
                user=request.user,
                write=lambda: reply_with_template(
                    ticket=page.ticket,
                    actor=request.user,
                    template=template,
                    body=data["body"],
                    files=data["attachments"],
                    status=data["status"],
                    expected_version=data["version"],
                ),
            )
        except Conflict:
            return conflicted(
                request, pk, "reply", form, parts=COMPOSER_CONFLICT, active_tab="reply"
            )
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(
                request,
                pk,
                _("Reply sent."),
                anchor=_entry_anchor(done.result),
                # Without a template (whose actions may add history) or files, the reply is
                # the one entry the write added.
                written=_written(
                    page,
                    form,
                    done,
                    form_only="reply",
                    alone=template is None and not data["attachments"],
                ),
            )
    return refused(
        request,
        ticket_page(request.user, pk),
        parts=("composer",),
        status=status,
        message=message,
        reply_form=form,
        active_tab="reply",
    )


@staff_required
@require_POST
def note(request, pk: int):
    """An internal note, never shown to the requester. Like a reply, it is held back once when
    someone else added to the thread since the page was shown. A repeated post adds one note."""
    page = ticket_page(request.user, pk, thread=False, related=False)
    form = make_form("note_form", page, request.POST, request.FILES)
    status, message = 422, None
    if form.is_valid() and _others_wrote(page, request.user, form.cleaned_data["seen"]):
        return conflicted(request, pk, "note", form, parts=COMPOSER_CONFLICT, active_tab="note")
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = submission_once(
                key=data["submission"],
                scope="desk.note",
                user=request.user,
                write=lambda: ticket_note_add(
                    ticket=page.ticket,
                    actor=request.user,
                    body=data["body"],
                    files=data["attachments"],
                ),
            )
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            # Named people who are not told: the writer learns who (never the other way).
            not_told = mentions_parse(data["body"], page.ticket, author=request.user).refused
            text = _("Note added.")
            if not_told:
                text = _(
                    "Note added. Not told (unknown, or may not see this request): %(names)s"
                ) % {"names": ", ".join(not_told)}
            return changed(
                request,
                pk,
                text,
                anchor=_entry_anchor(done.result),
                written=_written(page, form, done, alone=not data["attachments"]),
                active_tab="note",
            )
    return refused(
        request,
        ticket_page(request.user, pk),
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
    page = ticket_page(request.user, pk, thread=False, related=False)
    form = make_form("fields_form", page, request.POST)
    status, message = 422, None
    if form.is_valid():
        try:
            ticket = ticket_update(
                ticket=page.ticket,
                actor=request.user,
                reason=form.cleaned_data["reason"].strip(),
                expected_version=form.rendered_version(),
                **form.changes(),
            )
        except Conflict:
            return conflicted(request, pk, "fields", form, parts=("header", "thread", "side"))
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(
                request,
                pk,
                _("Changes saved."),
                written=_written(page, form, ticket=ticket, composer=False),
            )
    return refused(
        request,
        ticket_page(request.user, pk),
        parts=("side",),
        status=status,
        message=message,
        fields_form=form,
    )


@staff_required
@require_POST
def tags(request, pk: int):
    """Replace the tags; refused from an older page, since the whole set is replaced."""
    page = ticket_page(request.user, pk)
    form = make_form("tags_form", page, request.POST)
    status, message = 422, None
    if form.is_valid():
        try:
            ticket_tags_set(
                ticket=page.ticket,
                actor=request.user,
                names=form.names(),
                expected_version=form.rendered_version(),
            )
        except Conflict:
            return conflicted(request, pk, "tags", form, parts=("header", "thread", "side"))
        except DomainError as exc:
            message = _add_error(form, exc)
            status = status_for(exc)
        else:
            return changed(request, pk, _("Tags saved."))
    return refused(request, page, parts=("side",), status=status, message=message, tags_form=form)
