"""Notification letters: recorded with the ticket change, composed and queued after commit.

`notice_record` receives the ticket domain's announcements (`helpline.tickets.notices`) inside
the change's transaction and stores a `Notification`. After commit the worker runs
`notification_process`, which works out the recipients, renders each letter from its template in
the recipient's language and queues it in the outbox, in one transaction with the notification
marked done: a letter is queued whole or not at all (decision 0013).
"""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr
from threading import local

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from helpline.accounts.models import Department, User
from helpline.audit.services import event_record
from helpline.core import clock, fixedsql
from helpline.core.models import SiteSettings
from helpline.tickets.concerned import staff_concerned
from helpline.tickets.models import Entry, EntryKind, Ticket
from helpline.tickets.notices import Notice, NoticeKind

from . import threading
from .letters import Letter, language_of, letter_default, letter_render, letter_source, one_line
from .models import (
    BouncingAddress,
    Direction,
    LetterKind,
    Mailbox,
    MailMessage,
    MessageRef,
    Notification,
)
from .models import OutboxMessage as Outbox
from .services import outbox_message_queue

log = logging.getLogger(__name__)
State = Notification.State
MAX_ATTEMPTS = 5
# How many earlier Message-IDs of the thread go into References (the newest ones).
REFERENCES_KEPT = 20
# An address a delivery failure came back for gets no automatic letters for this long.
BOUNCE_PAUSE = timedelta(days=1)


def notice_record(notice: Notice) -> Notification:
    """The mail app's receiver of ticket notices: store it in the caller's transaction and
    process it after commit (a lost task is found by the sweep)."""
    # A fixed statement: this insert runs for nearly every change to a request.
    row = fixedsql.insert(
        Notification(
            kind=notice.kind,
            ticket_id=notice.ticket_id,
            entry_id=notice.entry_id,
            actor_id=notice.actor_id,
            data=notice.data,
            created_at=clock.now(),
        )
    )

    together = getattr(_together, "ids", None)
    if together is not None:
        # Inside `notifications_together`: the commit collects it for one task.
        transaction.on_commit(lambda: together.append(row.pk), robust=True)
        return row

    def enqueue() -> None:
        from .tasks import notification_send

        notification_send(row.pk)

    transaction.on_commit(enqueue, robust=True)
    return row


_together = local()


@contextmanager
def notifications_together() -> Iterator[None]:
    """Around one transaction that records many notifications (the mail poller's batch): after
    its commit, one worker task processes them all instead of one task each (each still in its
    own transaction). A notification whose savepoint or transaction was rolled back is not
    collected; one whose task is lost is found by the sweep, as always."""
    if getattr(_together, "ids", None) is not None:
        yield
        return
    ids: list[int] = []
    _together.ids = ids
    try:
        yield
    finally:
        _together.ids = None
    if ids:
        from .tasks import notifications_send

        try:
            notifications_send(ids)
        except Exception:  # noqa: BLE001 - the sweep sends them; the mail is stored
            log.exception("Could not queue the task for %s notifications", len(ids))


@dataclass(frozen=True)
class Recipient:
    user: User
    letter: str  # a LetterKind
    automatic: bool = True


def _wants(user: User, choice: str) -> bool:
    return choice in (user.staff_notices or [])


# The staff letter for each kind of notice (who is concerned: helpline.tickets.concerned).
STAFF_LETTERS = {
    NoticeKind.CREATED: LetterKind.STAFF_NEW,
    NoticeKind.REQUESTER_REPLIED: LetterKind.STAFF_REQUESTER_REPLIED,
    NoticeKind.ASSIGNED: LetterKind.STAFF_ASSIGNED,
    NoticeKind.TRANSFERRED: LetterKind.STAFF_TRANSFERRED,
    NoticeKind.ESCALATED: LetterKind.STAFF_ESCALATED,
    NoticeKind.MENTIONED: LetterKind.STAFF_MENTIONED,
}


def recipients(notification: Notification, ticket: Ticket) -> list[Recipient]:
    """Who gets a letter about `notification`, and which letter (decision 0013, "Who gets what")."""
    kind, actor_id = notification.kind, notification.actor_id
    requester = ticket.requester
    out: list[Recipient] = []
    requester_letter = {
        NoticeKind.CREATED: LetterKind.RECEIVED,
        NoticeKind.REPLIED: LetterKind.REPLIED,
        NoticeKind.RESOLVED: LetterKind.RESOLVED,
        NoticeKind.CLOSED: LetterKind.CLOSED,
    }.get(NoticeKind(kind))
    if requester_letter and requester.is_active:
        own_action = actor_id == requester.pk and kind != NoticeKind.CREATED
        if not own_action:
            # A letter carrying an agent's reply (also one that resolves or closes) is that
            # person's answer, not an automatic notice: no Auto-Submitted, no hourly limit.
            human_reply = notification.entry_id is not None and kind != NoticeKind.CREATED
            out.append(Recipient(requester, requester_letter, automatic=not human_reply))
    letter = STAFF_LETTERS.get(NoticeKind(kind))
    if letter is not None:
        concerned = staff_concerned(
            kind, ticket, actor_id=actor_id, data=notification.data, wanted=_wants
        )
        out += [Recipient(c.user, letter) for c in concerned]
    return out


def _public_entry(notification: Notification) -> Entry | None:
    """The entry a letter may quote: public replies only, never an internal note."""
    entry = notification.entry
    if entry is None or entry.kind != EntryKind.REPLY or entry.ticket_id != notification.ticket_id:
        return None
    return entry


def _link(ticket: Ticket, user: User) -> str:
    if user.is_agent_side and user.pk != ticket.requester_id:
        path = reverse("desk:ticket", args=[ticket.pk])
    else:
        path = reverse("portal:request", args=[ticket.pk])
    return f"{settings.SITE_URL}{path}"


def letter_values(
    notification: Notification, ticket: Ticket, user: User, entry: Entry | None
) -> dict[str, str]:
    """The placeholders' values for one recipient (call inside their language)."""
    agent = entry.author if entry is not None and entry.author_id else notification.actor
    text = entry.body if entry is not None else str(notification.data.get("reason") or "")
    department = ticket.department
    return {
        "requester_name": ticket.requester.display_name,
        "ticket_number": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status.label,
        "link": _link(ticket, user),
        "agent_name": agent.display_name if agent is not None else "",
        "reply_text": text,
        "department": department.name,
        "signature": department.signature,
        "desk_name": SiteSettings.current().desk_name,
    }


def letter_compose(
    letter: str, *, language: str, department: Department | None, values: dict[str, str]
) -> Letter:
    """Render `letter` from the template in force; a template that fails (edited outside the
    pages) falls back to the shipped text, so a letter always goes out whole."""
    department_id = department.pk if department is not None else None
    subject, body, row = letter_source(letter, language=language, department_id=department_id)
    try:
        return letter_render(subject=subject, body=body, values=values)
    except Exception:
        if row is None:
            raise
        log.exception("Letter template %s is broken; the shipped text is used", row.pk)
        subject, body = letter_default(letter, language)
        return letter_render(subject=subject, body=body, values=values)


def sender_mailbox(ticket: Ticket) -> Mailbox | None:
    """The mailbox letters about `ticket` come from: the one its requester last wrote to, else
    an active mailbox of its department, else none (the installation's address)."""
    last_in = (
        MailMessage.objects.filter(
            entry__ticket=ticket, direction=Direction.IN, mailbox__is_active=True
        )
        .order_by("-entry__created_at", "-pk")
        .select_related("mailbox")
        .first()
    )
    if last_in is not None and last_in.mailbox is not None:
        return last_in.mailbox
    return (
        Mailbox.objects.filter(department_id=ticket.department_id, is_active=True)
        .order_by("pk")
        .first()
    )


def _thread_ids(ticket: Ticket) -> list[str]:
    ids = (
        MessageRef.objects.filter(ticket=ticket)
        .order_by("-created_at", "-pk")
        .values_list("message_id", flat=True)[:REFERENCES_KEPT]
    )
    return [f"<{value}>" for value in reversed(list(ids))]


def address_valid(address: str) -> bool:
    if not address or address != address.strip() or any(ord(ch) < 33 for ch in address):
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _over_limit(user: User, address: str) -> bool:
    # The recipient's row lock makes two workers count one after the other.
    # NO KEY: rows other transactions insert for this person (their foreign key checks) pass.
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list(
        "pk", flat=True
    ).first()
    since = clock.now() - timedelta(hours=1)
    sent = Outbox.objects.filter(
        automatic=True, rate_key=address.lower(), created_at__gte=since
    ).count()
    return sent >= settings.MAIL_AUTO_PER_HOUR


def _bouncing(address: str) -> bool:
    since = clock.now() - BOUNCE_PAUSE
    return BouncingAddress.objects.filter(address=address.lower(), last_at__gte=since).exists()


def _files(entry: Entry | None) -> list[tuple[str, bytes, str]]:
    """The files of a public reply that fit into a letter together."""
    if entry is None:
        return []
    files, total = [], 0
    for attachment in entry.attachments.all():
        total += attachment.size
        if total > settings.MAIL_ATTACH_MAX_BYTES:
            break
        with attachment.file.open("rb") as handle:
            files.append((one_line(attachment.filename), handle.read(), attachment.content_type))
    return files


def letter_message(
    *,
    ticket: Ticket,
    recipient: Recipient,
    letter: Letter,
    mailbox: Mailbox | None,
    references: list[str],
    files: Sequence[tuple[str, bytes, str]] = (),
) -> tuple[EmailMultiAlternatives, str]:
    """The message for one recipient and its Message-ID. Every header value is one line: names,
    subjects and addresses pass through `one_line`, so no user text can add a header."""
    sender_address = mailbox.address if mailbox is not None else settings.DEFAULT_FROM_EMAIL
    desk = one_line(SiteSettings.current().desk_name)
    tag = threading.subject_tag(ticket)
    subject = letter.subject if tag in letter.subject else f"{tag} {letter.subject}"
    message_id = threading.make_message_id(ticket, domain=sender_address)
    headers = {"Message-ID": message_id}
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    if recipient.automatic:
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    headers["Reply-To"] = formataddr(
        (desk, threading.reply_address(sender_address, ticket.reply_token))
    )
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=letter.text,
        from_email=formataddr((desk, sender_address)),
        to=[formataddr((one_line(recipient.user.display_name), recipient.user.email))],
        headers=headers,
    )
    message.attach_alternative(letter.html, "text/html")
    for name, content, content_type in files:
        message.attach(name, content, content_type)
    return message, message_id


def notification_letters(notification: Notification) -> list[dict]:
    """Compose and queue every letter of `notification` (in the caller's transaction); returns
    the outcome per recipient."""
    ticket = (
        Ticket.objects.select_related("requester", "department", "status", "assignee")
        .filter(pk=notification.ticket_id)
        .first()
    )
    if ticket is None or ticket.is_deleted:
        return [{"outcome": "request deleted"}]
    entry = _public_entry(notification)
    mailbox = sender_mailbox(ticket)
    references = _thread_ids(ticket)
    outcome = []
    for recipient in recipients(notification, ticket):
        address = recipient.user.email
        record = {"to": address, "letter": recipient.letter}
        outcome.append(record)
        if not address_valid(address):
            record["outcome"] = "invalid address"
            continue
        if recipient.automatic and _bouncing(address):
            record["outcome"] = "address bouncing"
            continue
        if recipient.automatic and _over_limit(recipient.user, address):
            record["outcome"] = "hourly limit"
            log.warning("Letter %s to %s skipped: hourly limit", recipient.letter, address)
            continue
        language = language_of(recipient.user.language)
        with translation.override(language):
            values = letter_values(notification, ticket, recipient.user, entry)
            letter = letter_compose(
                recipient.letter, language=language, department=ticket.department, values=values
            )
        files = _files(entry) if recipient.letter == LetterKind.REPLIED else []
        message, message_id = letter_message(
            ticket=ticket,
            recipient=recipient,
            letter=letter,
            mailbox=mailbox,
            references=references,
            files=files,
        )
        outbox_message_queue(
            message=message,
            ticket=ticket,
            automatic=recipient.automatic,
            rate_key=address.lower(),
            mailbox=mailbox,
        )
        threading.message_ref_record(
            message_id=message_id,
            ticket=ticket,
            direction=Direction.OUT,
            entry=entry,
            mailbox=mailbox,
        )
        record["outcome"] = "queued"
    return outcome


def staff_letter_queue(*, user: User, letter: str, values: dict[str, str]) -> str:
    """Queue one automatic letter to staff member `user` about something that is not a
    request's (internal mail), in the caller's transaction, under the same limits as the
    request letters; returns the outcome. The caller has checked the person wants it. No
    Reply-To into a request: an answer by mail must never land in a request's thread."""
    address = user.email
    if not user.is_active or not address_valid(address):
        return "invalid address"
    if _bouncing(address):
        return "address bouncing"
    if _over_limit(user, address):
        return "hourly limit"
    language = language_of(user.language)
    with translation.override(language):
        values = {"desk_name": SiteSettings.current().desk_name, **values}
        composed = letter_compose(letter, language=language, department=None, values=values)
    desk = one_line(SiteSettings.current().desk_name)
    message = EmailMultiAlternatives(
        subject=one_line(composed.subject),
        body=composed.text,
        from_email=formataddr((desk, settings.DEFAULT_FROM_EMAIL)),
        to=[formataddr((one_line(user.display_name), address))],
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.attach_alternative(composed.html, "text/html")
    outbox_message_queue(message=message, automatic=True, rate_key=address.lower())
    return "queued"


def notification_process(*, notification_id: int) -> str:
    """Turn one pending notification into queued letters: "done", "retry", "failed" or
    "skipped" (not pending any more). A failure rolls the letters back and is retried up to
    MAX_ATTEMPTS times; then the notification is failed, in the event log and on the request."""
    try:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("entry", "actor")
                .filter(pk=notification_id, state=State.PENDING)
                .first()
            )
            if row is None:
                return "skipped"
            row.outcome = notification_letters(row)
            row.state, row.processed_at, row.error = State.DONE, clock.now(), ""
            row.attempts += 1
            row.save(update_fields=["outcome", "state", "processed_at", "error", "attempts"])
            return "done"
    except Exception as exc:  # noqa: BLE001 - recorded on the row; the change itself stands
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        log.exception("Notification %s not sent", notification_id)
        with transaction.atomic():
            row = Notification.objects.select_for_update().filter(pk=notification_id).first()
            if row is None or row.state != State.PENDING:
                return "skipped"
            row.attempts += 1
            row.error = error
            fields = ["attempts", "error"]
            if row.attempts >= MAX_ATTEMPTS:
                row.state, row.processed_at = State.FAILED, clock.now()
                fields += ["state", "processed_at"]
                event_record(
                    actor=None,
                    action="mail.notification_failed",
                    obj=row.ticket,
                    changes={"notification": row.pk, "kind": row.kind, "error": error},
                )
            row.save(update_fields=fields)
            return "failed" if row.state == State.FAILED else "retry"


def notifications_sweep(*, older_than_seconds: int = 60, batch: int = 200) -> int:
    """Process pending notifications whose task was lost or failed (the periodic job)."""
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    due = list(
        Notification.objects.filter(state=State.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in due:
        notification_process(notification_id=pk)
    return len(due)


def notifications_skip_pending(*, reason: str) -> int:
    """Settle every waiting notification without writing letters (a made-up history, such as
    the demo's, must not mail its people); returns how many. Runs in the caller's transaction,
    so their tasks, run after the commit, find nothing pending."""
    return Notification.objects.filter(state=State.PENDING).update(
        state=State.DONE, processed_at=clock.now(), outcome=[{"outcome": reason}]
    )
