"""What the mail channel adds to requests beyond replies: messages kept for staff to judge, and
answers to closed requests (reopen or a linked follow-up)."""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import User
from helpline.core.errors import ValidationFailed

from ..access import Action
from ..models import Entry, EntryKind, StatusCategory, Ticket
from ..notices import NoticeKind, notice
from ._common import (
    STATUS_FIELDS,
    apply_status,
    attach,
    default_status,
    history,
    locked,
    locked_together,
    require,
    touch,
)
from .attachments import CheckedFile, attachments_checked
from .lifecycle import _clean_body, ticket_create


@transaction.atomic
def ticket_mail_note_add(
    *,
    ticket: Ticket,
    body: str,
    files: Sequence[CheckedFile] = (),
    author: User | None = None,
) -> Entry:
    """Keep a message that concerns `ticket` but is no reply from someone who may answer it (a
    non-participant, a sender using a staff address without proof, an automatic reply, a
    delivery failure report) as an internal note: staff see it and decide. It changes no
    status, gives nobody access and is not announced.

    The actor is the mail channel itself (no person); `author` is who the note is shown as
    from, None for the system. Only the mail channel calls this.
    """
    body = _clean_body(body)
    files = attachments_checked(files)
    ticket = locked(ticket)
    entry = Entry.objects.create(ticket=ticket, kind=EntryKind.NOTE, author=author, body=body)
    attach(entry, files)
    touch(ticket, appended=entry)
    return entry


@transaction.atomic
def ticket_closed_reopen(
    *, ticket: Ticket, actor: User, body: str, files: Sequence[CheckedFile] = ()
) -> Entry:
    """The requester (or a colleague who may answer) writes to a closed request and the desk
    reopens closed requests on an answer: it moves to the default open status (a reopen is
    counted) and the message is a public reply. Needs the reply right on the request."""
    body = _clean_body(body)
    files = attachments_checked(files)
    ticket = locked(ticket)
    require(actor, Action.REPLY, ticket)
    if ticket.is_deleted or ticket.status_category != StatusCategory.CLOSED:
        raise ValidationFailed(_("Only a closed request can be reopened this way."))
    old = ticket.status
    opened = default_status(StatusCategory.OPEN)
    apply_status(ticket, opened)
    history(ticket, actor, "status", old, opened, _("Reopened by an answer to a closed request."))
    entry = Entry.objects.create(ticket=ticket, kind=EntryKind.REPLY, author=actor, body=body)
    attach(entry, files)
    touch(ticket, *STATUS_FIELDS, public=True)
    as_staff = actor.is_agent_side and actor.pk != ticket.requester_id
    kind = NoticeKind.REPLIED if as_staff else NoticeKind.REQUESTER_REPLIED
    notice(kind, ticket, actor=actor, entry=entry)
    return entry


@transaction.atomic
def ticket_follow_up_create(
    *,
    closed: Ticket,
    actor: User,
    subject: str,
    body: str,
    channel: str,
    files: Sequence[CheckedFile] = (),
) -> Ticket:
    """An answer to a closed request opens a new request for the same requester, in the same
    department and topic, linked to the closed one. Needs the reply right on the closed
    request (so nobody opens requests in someone else's name through an old thread)."""
    require(actor, Action.REPLY, closed)
    if closed.status_category != StatusCategory.CLOSED:
        raise ValidationFailed(_("Only a closed request gets a follow-up."))
    # Staff answering on the requester's behalf open it for the requester (their rights are
    # checked by ticket_create); anyone else opens it for themself.
    requester = closed.requester if actor.is_agent_side else actor
    ticket = ticket_create(
        actor=actor,
        requester=requester,
        subject=subject,
        body=body,
        channel=channel,
        department=closed.department,
        topic=closed.topic,
        ticket_class=closed.ticket_class,
        files=files,
    )
    rows = locked_together(ticket, closed)
    ticket, closed = rows[ticket.pk], rows[closed.pk]
    ticket.links.add(closed)
    history(ticket, None, "link", None, closed)
    history(closed, None, "link", None, ticket)
    touch(closed)
    return ticket
