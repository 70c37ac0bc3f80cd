"""Writes of internal mail: send (or reply), read, archive; and the letters after commit.

A message is stored with a recipient row for every person it reaches (named, or a member of a
department it was sent to), a notification each in the desk's centre, and an event in the log,
in one transaction. Letters go after the commit, only to those who chose "internal mail" in
their profile, through the mail channel's outbox (`helpline.mail.notifications`); a message
whose task was lost is found by the periodic sweep.
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from helpline.accounts.models import Department, Role, StaffNotice, User
from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.lengths import fitting
from helpline.notify.models import Kind
from helpline.notify.services import notifications_add, notifications_read_about
from helpline.tickets.models import Ticket
from helpline.tickets.services.attachments import CheckedFile, attachments_checked, file_sha256

from .access import (
    department_members,
    departments_addressable,
    may_attach_to,
    messages_visible,
    people_addressable,
)
from .models import SUBJECT_MAX, Message, MessageFile, Recipient
from .search import index_messages

BODY_MAX = 100_000
MAX_RECIPIENTS = 500


def _require_staff(actor) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_agent_side):
        raise PermissionDenied(_("Only staff use internal mail."))


def _thread_people(root: Message) -> set[int]:
    """Everyone in a thread: who sent any of its messages and who received any."""
    messages = Message.objects.filter(pk=root.pk) | Message.objects.filter(thread_id=root.pk)
    senders = set(messages.exclude(sender=None).values_list("sender_id", flat=True))
    received = set(Recipient.objects.filter(message__in=messages).values_list("user_id", flat=True))
    return senders | received


def _store_files(message: Message, files: Sequence[CheckedFile]) -> None:
    for checked in files:
        row = MessageFile(
            message=message,
            filename=checked.filename,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256 or file_sha256(checked.upload),
        )
        checked.upload.seek(0)
        row.file.save(checked.filename, checked.upload, save=False)
        row.save()


@transaction.atomic
def message_send(
    *,
    actor: User,
    subject: str = "",
    body: str,
    people: Iterable[User] = (),
    departments: Iterable[Department] = (),
    ticket: Ticket | None = None,
    reply_to: Message | None = None,
    files: Sequence[object] = (),
) -> Message:
    """Send internal mail from staff member `actor` to `people` and every member of
    `departments` (never to the actor), or, with `reply_to`, to everyone in that thread.
    People must be colleagues the actor works with, departments ones they may write to; a
    request it is attached to must be one the actor may see. Records the recipients, a
    notification each, the event; letters follow after the commit."""
    _require_staff(actor)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write a message first."), field="body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(_("The message is too long."), field="body")
    checked = attachments_checked(files)
    departments = list(departments)
    if reply_to is not None:
        if not messages_visible(actor).filter(pk=reply_to.pk).exists():
            raise PermissionDenied(_("You cannot answer this message."))
        root = Message.objects.get(pk=reply_to.thread_root_id)
        thread, ticket = root, root.ticket
        # "Re:" as every mail program writes it, in any language.
        subject = root.subject if root.subject.startswith("Re:") else f"Re: {root.subject}"
        subject = subject[:SUBJECT_MAX]
        direct = set(_thread_people(root))
        via: dict[int, int] = {}
        departments = []
    else:
        thread = None
        subject = (subject or "").strip()
        if not subject:
            raise ValidationFailed(_("Give the message a subject."), field="subject")
        subject = fitting(Message, "subject", subject)
        people = list(people)
        allowed = set(
            people_addressable(actor)
            .filter(pk__in=[p.pk for p in people])
            .values_list("pk", flat=True)
        )
        if any(p.pk not in allowed and p.pk != actor.pk for p in people):
            raise ValidationFailed(_("You cannot write to some of these people."), field="people")
        if departments:
            open_ids = set(
                departments_addressable(actor)
                .filter(pk__in=[d.pk for d in departments])
                .values_list("pk", flat=True)
            )
            if any(d.pk not in open_ids for d in departments):
                raise ValidationFailed(
                    _("You cannot write to some of these departments."), field="departments"
                )
        direct = {p.pk for p in people}
        via = {}
        for department in departments:
            for user_id in department_members([department.pk]).values_list("pk", flat=True):
                via.setdefault(user_id, department.pk)
        if ticket is not None and not may_attach_to(actor, ticket):
            raise PermissionDenied(_("You cannot attach a message to this request."))
    everyone = (direct | set(via)) - {actor.pk}
    # Only active staff receive (a thread's member may have left since).
    everyone = set(
        User.objects.filter(pk__in=everyone, is_active=True, role__in=Role.STAFF).values_list(
            "pk", flat=True
        )
    )
    if not everyone:
        raise ValidationFailed(_("Choose at least one colleague or department."), field="people")
    if len(everyone) > MAX_RECIPIENTS:
        raise ValidationFailed(_("Too many recipients for one message."), field="people")
    now = clock.now()
    message = Message.objects.create(
        sender=actor,
        subject=subject,
        body=body,
        thread=thread,
        ticket=ticket,
        created_at=now,
    )
    if departments:
        message.departments.set(departments)
    Recipient.objects.bulk_create(
        [
            Recipient(
                message=message,
                user_id=user_id,
                department_id=None if user_id in direct else via.get(user_id),
                created_at=now,
            )
            for user_id in sorted(everyone)
        ]
    )
    _store_files(message, checked)
    index_messages(message)
    notifications_add(
        users=[User(pk=user_id) for user_id in sorted(everyone)],
        kind=Kind.MESSAGE,
        actor_id=actor.pk,
        data={"message": message.pk, "subject": message.subject},
    )
    event_record(
        actor=actor,
        action="staffmail.sent",
        obj=message,
        changes={
            "recipients": sorted(everyone),
            "departments": [d.pk for d in departments],
            "ticket": ticket.pk if ticket else None,
            "thread": thread.pk if thread else None,
            "files": len(checked),
        },
    )
    if ticket is not None:
        event_record(
            actor=actor,
            action="ticket.staff_message",
            obj=ticket,
            changes={"message": message.pk},
        )

    def enqueue() -> None:
        from .tasks import message_letters_task

        message_letters_task(message.pk)

    transaction.on_commit(enqueue, robust=True)
    return message


@transaction.atomic
def message_letters(*, message_id: int) -> int:
    """Queue a letter to each recipient of a message who wants internal mail by mail and has
    not had one; the rest are marked done. Idempotent (a repeated task queues nothing).
    Returns how many letters were queued."""
    from helpline.mail.models import LetterKind
    from helpline.mail.notifications import staff_letter_queue

    rows = list(
        Recipient.objects.select_for_update(of=("self",))
        .filter(message_id=message_id, mailed_at__isnull=True)
        .select_related("user", "message", "message__sender")
        .order_by("pk")
    )
    queued = 0
    for row in rows:
        user = row.user
        if StaffNotice.INTERNAL_MAIL in (user.staff_notices or []):
            sender = row.message.sender
            outcome = staff_letter_queue(
                user=user,
                letter=LetterKind.STAFF_MESSAGE,
                values={
                    "subject": row.message.subject,
                    "agent_name": sender.display_name if sender else "",
                    "link": settings.SITE_URL + reverse("staffmail:message", args=[row.message_id]),
                },
            )
            queued += outcome == "queued"
        row.mailed_at = clock.now()
    Recipient.objects.bulk_update(rows, ["mailed_at"])
    return queued


def message_letters_sweep(*, older_than_seconds: int = 60, batch: int = 200) -> int:
    """Write the letters of messages whose task was lost (a killed worker, a queue that was
    down): every message with a copy not yet mailed, sent at least `older_than_seconds` ago,
    goes through `message_letters` again (idempotent: copies already mailed are skipped, and
    the rows are locked, so a late task and the sweep never both write a letter). The periodic
    job; returns how many messages it processed."""
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    due = list(
        Recipient.objects.filter(mailed_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at", "message_id")
        .values_list("message_id", flat=True)
        .distinct()[:batch]
    )
    for message_id in due:
        message_letters(message_id=message_id)
    return len(due)


@transaction.atomic
def message_read(*, message: Message, actor: User) -> int:
    """`actor` opened `message`'s thread: their copies in it and the notifications of them are
    read. Returns how many copies changed."""
    _require_staff(actor)
    root = message.thread_root_id
    ids = list(
        Message.objects.filter(pk=root)
        .values_list("pk", flat=True)
        .union(Message.objects.filter(thread_id=root).values_list("pk", flat=True))
    )
    changed = Recipient.objects.filter(
        user_id=actor.pk, message_id__in=ids, read_at__isnull=True
    ).update(read_at=clock.now())
    if changed:
        for pk in ids:
            notifications_read_about(actor=actor, kind=Kind.MESSAGE, message=pk)
    return changed


@transaction.atomic
def message_archive(*, message: Message, actor: User, archived: bool = True) -> Recipient:
    """Move `actor`'s copy of `message` to the archive (or back to the inbox)."""
    _require_staff(actor)
    row = (
        Recipient.objects.select_for_update()
        .filter(message_id=message.pk, user_id=actor.pk)
        .first()
    )
    if row is None:
        raise PermissionDenied(_("Only a message you received can be archived."))
    if (row.archived_at is not None) != archived:
        row.archived_at = clock.now() if archived else None
        if archived and row.read_at is None:
            row.read_at = row.archived_at
        row.save(update_fields=["archived_at", "read_at"])
        event_record(
            actor=actor,
            action="staffmail.archived" if archived else "staffmail.unarchived",
            obj=message,
        )
    return row
