"""Writes to the outbox (queue a message, deliver it with back-off, retry or discard by hand)
and to the quarantine of received mail (release, delete).

Delivery is at-least-once: an attempt first pushes the message's due time forward (a lease),
then talks to the mail server, then records the outcome. A worker killed between the server's
"accepted" and the record sends that message again later, which beats losing it.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed

from .models import LetterKind, LetterTemplate, OutboxMessage, QuarantinedMail

log = logging.getLogger(__name__)
Status = OutboxMessage.Status
# Longer than an SMTP conversation can take (EMAIL_TIMEOUT), so no two attempts overlap.
ATTEMPT_LEASE_SECONDS = 300
SWEEP_BATCH = 200


def _enqueue_after_commit(message_id: int) -> None:
    from .tasks import outbox_deliver

    # robust: a queue that is down must not turn the caller's page into an error; the sweep
    # finds the message anyway.
    transaction.on_commit(lambda: outbox_deliver(message_id), robust=True)


def outbox_message_queue(
    *, message, ticket=None, automatic: bool = False, rate_key: str = "", mailbox=None
) -> OutboxMessage:
    """Store `message` (a Django EmailMessage) for delivery by the worker after commit.

    Runs in the caller's transaction: a rolled-back sign-up leaves no mail behind, a committed
    one always has its mail. Serialising now fixes the Message-ID and Date for every attempt.
    Letters about a request name it (`ticket`, shown there while undelivered), say whether they
    are automatic (counted per recipient, `rate_key`) and which `mailbox` sends them.
    """
    raw = message.message().as_bytes()
    row = OutboxMessage.objects.create(
        sender=message.from_email or settings.DEFAULT_FROM_EMAIL,
        recipients=list(message.recipients()),
        subject=str(message.subject or ""),
        raw=raw,
        next_attempt_at=clock.now(),
        ticket=ticket,
        automatic=automatic,
        rate_key=rate_key,
        mailbox=mailbox,
    )
    _enqueue_after_commit(row.pk)
    return row


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: doubling, capped."""
    base = settings.EMAIL_RETRY_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), settings.EMAIL_RETRY_MAX_SECONDS))


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (unknown recipient, message refused) will not change by waiting."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _delivery_connection(row: OutboxMessage | None = None):
    """The mailbox's own server when the message names a mailbox that has one
    (`Mailbox.email_backend()`), else EMAIL_DELIVERY_BACKEND."""
    mailbox = row.mailbox if row is not None and row.mailbox_id else None
    own = getattr(mailbox, "email_backend", None)
    if own is not None:
        connection = own()
        if connection is not None:
            return connection
    backend = settings.EMAIL_DELIVERY_BACKEND
    if backend.endswith("QueuedEmailBackend"):
        raise ImproperlyConfigured("EMAIL_DELIVERY_BACKEND must send, not queue again.")
    return get_connection(backend, fail_silently=False)


def outbox_message_deliver(*, message_id: int) -> str:
    """One delivery attempt for a due message: "sent", "retry", "failed" or "skipped".

    Skipped when the message is not due (sent, discarded, another attempt running). A failure
    is retried with doubling delays up to EMAIL_MAX_ATTEMPTS; a permanent refusal (5xx) or the
    last attempt marks it failed, which /healthz and the administrators' outbox page show and
    the event log records.
    """
    from .backends import StoredEmailMessage

    now = clock.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=Status.QUEUED, next_attempt_at__lte=now
    ).update(
        next_attempt_at=now + timedelta(seconds=ATTEMPT_LEASE_SECONDS), attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    row = OutboxMessage.objects.select_related("mailbox").get(pk=message_id)
    email_message = StoredEmailMessage(
        raw=bytes(row.raw), sender=row.sender, recipients=row.recipients
    )
    try:
        with _delivery_connection(row) as connection:
            connection.send_messages([email_message])
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none is lost
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        pending = OutboxMessage.objects.filter(pk=row.pk, status=Status.QUEUED)
        if _permanent(exc) or row.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            with transaction.atomic():
                if pending.update(status=Status.FAILED, last_error=error):
                    event_record(
                        actor=None,
                        action="mail.failed",
                        obj=row,
                        changes={"attempts": row.attempts, "error": error},
                    )
            log.error("Mail %s failed for good after %s attempts: %s", row.pk, row.attempts, error)
            return "failed"
        delay = retry_delay(row.attempts)
        pending.update(last_error=error, next_attempt_at=clock.now() + timedelta(seconds=delay))
        log.warning(
            "Mail %s not sent (attempt %s), retrying in %ss: %s", row.pk, row.attempts, delay, error
        )
        return "retry"
    OutboxMessage.objects.filter(pk=row.pk, status=Status.QUEUED).update(
        status=Status.SENT, sent_at=clock.now(), last_error="", raw=b""
    )
    return "sent"


def outbox_sweep() -> int:
    """Enqueue every due message (so a lost task never loses mail) and forget sent and
    discarded messages after OUTBOX_KEEP_DAYS. Returns how many were enqueued."""
    from .tasks import outbox_deliver

    now = clock.now()
    due = list(
        OutboxMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for message_id in due:
        outbox_deliver(message_id)
    OutboxMessage.objects.filter(
        status__in=[Status.SENT, Status.DISCARDED],
        updated_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DAYS),
    ).delete()
    return len(due)


def _check_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators manage outgoing mail."))


@transaction.atomic
def outbox_message_retry(*, message: OutboxMessage, actor) -> OutboxMessage:
    """Send a waiting or failed message now, with a fresh round of attempts (administrators).
    Records mail.retried."""
    _check_admin(actor)
    row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if row.status not in (Status.QUEUED, Status.FAILED):
        raise ValidationFailed(_("Only a waiting or failed message can be sent again."))
    before = row.status
    row.status, row.attempts, row.next_attempt_at = Status.QUEUED, 0, clock.now()
    row.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    event_record(
        actor=actor, action="mail.retried", obj=row, changes={"status": [before, row.status]}
    )
    _enqueue_after_commit(row.pk)
    return row


@transaction.atomic
def outbox_failed_retry_all(*, actor) -> int:
    """Retry every failed message (after fixing the mail server settings). Records
    mail.retried for each."""
    _check_admin(actor)
    failed = OutboxMessage.objects.filter(status=Status.FAILED).order_by("pk")
    count = 0
    for row in failed:
        outbox_message_retry(message=row, actor=actor)
        count += 1
    return count


@transaction.atomic
def outbox_message_discard(*, message: OutboxMessage, actor) -> OutboxMessage:
    """Give up on a waiting or failed message; its content is erased (administrators).
    Records mail.discarded."""
    _check_admin(actor)
    row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if row.status not in (Status.QUEUED, Status.FAILED):
        raise ValidationFailed(_("Only a waiting or failed message can be discarded."))
    before = row.status
    row.status, row.raw = Status.DISCARDED, b""
    row.save(update_fields=["status", "raw", "updated_at"])
    event_record(
        actor=actor, action="mail.discarded", obj=row, changes={"status": [before, row.status]}
    )
    return row


# --- the quarantine -------------------------------------------------------------------------


def _check_mail_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators manage received mail."))


def _held(item: QuarantinedMail) -> QuarantinedMail:
    row = QuarantinedMail.objects.select_for_update().get(pk=item.pk)
    if row.status != QuarantinedMail.State.HELD:
        raise ValidationFailed(_("This message was already released or deleted."))
    return row


@transaction.atomic
def quarantine_release(*, item: QuarantinedMail, actor):
    """Let a held message in after all (administrators): it becomes a request or joins its
    request as if it had just arrived, without the stop rules and limits that held it.
    Records mail.quarantine_released. Returns the ingestion Receipt."""
    from .ingest import receive_released

    _check_mail_admin(actor)
    row = _held(item)
    receipt = receive_released(row, actor=actor)
    row.status = QuarantinedMail.State.RELEASED
    row.ticket = receipt.ticket
    row.decided_at, row.decided_by = clock.now(), actor
    row.save(update_fields=["status", "ticket", "decided_at", "decided_by"])
    event_record(
        actor=actor,
        action="mail.quarantine_released",
        obj=row,
        changes={"reason": row.reason, "ticket": receipt.ticket.pk if receipt.ticket else None},
    )
    return receipt


@transaction.atomic
def quarantine_delete(*, item: QuarantinedMail, actor) -> QuarantinedMail:
    """Throw a held message away (administrators): its content is erased, the row stays so a
    repeat delivery of the same bytes is recognised. Records mail.quarantine_deleted."""
    _check_mail_admin(actor)
    row = _held(item)
    row.status, row.raw = QuarantinedMail.State.DELETED, b""
    row.decided_at, row.decided_by = clock.now(), actor
    row.save(update_fields=["status", "raw", "decided_at", "decided_by"])
    event_record(
        actor=actor, action="mail.quarantine_deleted", obj=row, changes={"reason": row.reason}
    )
    return row


# --- letter templates (administrators) ------------------------------------------------------


def _letter_target(kind: str, language: str) -> None:
    if kind not in LetterKind.values:
        raise ValidationFailed(_("Unknown letter."), field="kind")
    if language not in {code for code, _label in settings.LANGUAGES}:
        raise ValidationFailed(_("Choose one of the offered languages."), field="language")


@transaction.atomic
def letter_template_save(
    *, kind: str, language: str, department, subject: str, body: str, actor
) -> LetterTemplate:
    """Store an administrator's version of a letter (for one department, or all when
    `department` is None). Refused whole, with the line and the reason, when a placeholder is
    unknown or the syntax is broken: a saved template always renders. Records
    mail.letter_changed with the text before and after."""
    from .letters import template_check

    _check_admin(actor)
    _letter_target(kind, language)
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip("\n")
    template_check(subject=subject, body=body)
    # No ordering: the model's default sorts by department, an outer join FOR UPDATE refuses.
    row = (
        LetterTemplate.objects.select_for_update()
        .filter(kind=kind, language=language, department=department)
        .order_by("pk")
        .first()
    )
    before = {"subject": row.subject, "body": row.body} if row else {}
    if row is None:
        row = LetterTemplate(kind=kind, language=language, department=department)
    if before == {"subject": subject, "body": body}:
        return row
    row.subject, row.body = subject, body
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another administrator created it at the same moment: theirs is overwritten by ours,
        # as if we had saved a moment later.
        row = (
            LetterTemplate.objects.select_for_update()
            .order_by("pk")
            .get(kind=kind, language=language, department=department)
        )
        row.subject, row.body = subject, body
        row.save()
    event_record(
        actor=actor,
        action="mail.letter_changed",
        obj=row,
        changes={
            "letter": kind,
            "language": language,
            "department": department.pk if department else None,
            "subject": [before.get("subject"), subject],
            "body": [before.get("body"), body],
        },
    )
    return row


@transaction.atomic
def letter_template_reset(*, kind: str, language: str, department, actor) -> bool:
    """Go back to the shipped text (or, for a department, to the one for all departments):
    the administrator's version is deleted. Records mail.letter_reset; returns whether there
    was one."""
    _check_admin(actor)
    _letter_target(kind, language)
    row = (
        LetterTemplate.objects.select_for_update()
        .filter(kind=kind, language=language, department=department)
        .order_by("pk")
        .first()
    )
    if row is None:
        return False
    event_record(
        actor=actor,
        action="mail.letter_reset",
        obj=row,
        changes={
            "letter": kind,
            "language": language,
            "department": department.pk if department else None,
            "subject": [row.subject, None],
            "body": [row.body, None],
        },
    )
    row.delete()
    return True
