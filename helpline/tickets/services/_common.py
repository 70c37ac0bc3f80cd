"""Helpers shared by the ticket services: locking, history entries, rights, defaults."""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import Conflict, ValidationFailed

from .. import access
from ..history import change_data
from ..models import (
    DONE_CATEGORIES,
    Attachment,
    Entry,
    EntryKind,
    Status,
    StatusCategory,
    Ticket,
    requester_stage,
)
from ..reference import priority_matrix, reference_attach, statuses_active
from ..search import entry_indexed, index_tickets
from .attachments import CheckedFile, file_sha256

# The ticket fields `apply_status` may change, for `touch`.
STATUS_FIELDS = (
    "status",
    "status_category",
    "resolved_at",
    "first_resolved_at",
    "closed_at",
    "reopen_count",
    "last_public_activity_at",
)


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    """Refuse if the (locked) ticket was saved since the form that carries `expected_version`
    was shown; the entry point then says what changed and by whom."""
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(
            _(
                "Someone else changed this request while you were working on it. Reload to see "
                "their change, then try again."
            )
        )


def locked(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    """Re-read the ticket under a row lock; refuse if someone saved it since the form was shown.

    The lock is PostgreSQL's FOR NO KEY UPDATE: it queues writers of the same request but lets
    other transactions' rows that merely refer to it (entries, tags, mail ids) pass their foreign
    key checks, which take KEY SHARE at commit. A plain FOR UPDATE made two deliveries answering
    each other's requests wait on each other at commit: a deadlock.
    """
    if ticket.__dict__.pop("_hand_over", False) and _held_version(ticket) == ticket.version:
        # Just read under its row lock by the caller in this transaction (`locked_read`).
        check_version(ticket, expected_version)
        return reference_attach(ticket)
    fresh = Ticket.objects.select_for_update(no_key=True).get(pk=ticket.pk)
    check_version(fresh, expected_version)
    hold(fresh)
    # Its status, department and topic (history names the old ones) from the reference data.
    return reference_attach(fresh)


def locked_read(ticket: Ticket) -> Ticket:
    """Hand `ticket`, which the caller has just read under its row lock in the current
    transaction (FOR NO KEY UPDATE; on SQLite the IMMEDIATE transaction's write lock), to the
    next `locked` call as it is, instead of reading it again: one instance per transaction.
    Only for a read with nothing written to the request between it and the service (the mail
    intake's threading look-up); the hand-over counts once, later `locked` calls read again."""
    if connection.in_atomic_block:
        hold(ticket)
        ticket._hand_over = True
    return ticket


def hold(ticket: Ticket) -> None:
    """Mark `ticket` as read under its row lock in the current transaction: until it commits
    nobody else can move the version, so `touch` knows the new one without reading it back.
    (On SQLite the transaction began IMMEDIATE and holds the database's write lock.) The mark
    goes with the commit, so an instance kept beyond its transaction reads its version again."""
    if connection.in_atomic_block:
        ticket._locked_version = ticket.version
        transaction.on_commit(lambda: ticket.__dict__.pop("_locked_version", None))


def _held_version(ticket: Ticket) -> int | None:
    """The version `ticket` had when `hold` marked it, if that was in this transaction."""
    if not connection.in_atomic_block:
        return None
    return getattr(ticket, "_locked_version", None)


def locked_together(*tickets: Ticket) -> dict[int, Ticket]:
    """Re-read several tickets under row locks taken in ascending id order, in one query.

    Every action that changes more than one ticket (merge, link, unlink) locks through here, so
    two agents acting on the same pair in opposite directions queue instead of deadlocking.
    """
    ids = sorted({t.pk for t in tickets})
    rows = Ticket.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    fresh = {t.pk: t for t in rows}
    for row in fresh.values():
        hold(row)
    if len(fresh) != len(ids):
        raise ValidationFailed(_("One of these requests was deleted meanwhile."))
    return fresh


def require(user, action: str, ticket: Ticket) -> None:
    """May `user` do `action` on `ticket`? The rule lives in `helpline.tickets.access`."""
    access.require(user, action, ticket)


def default_status(category: str) -> Status:
    """The category's default status (else its first active one), from the reference data."""
    candidates = [s for s in statuses_active() if s.category == category]
    if not candidates:
        raise LookupError(f"No active status in category {category}")
    # statuses_active() is in (order, name) order; a stable sort keeps it among equals.
    return sorted(candidates, key=lambda s: (not s.is_default, s.order))[0]


def matrix_priority(impact: int, urgency: int) -> int:
    return priority_matrix().get((impact, urgency), 2)


def history(ticket: Ticket, actor, field: str, old, new, reason: str = "") -> Entry:
    """Record one change of `field` as data: pass the objects or values themselves (a Status,
    Department, User or Ticket; a class code, number, tag list, trash flag), never display text;
    `helpline.tickets.history` says what is stored for each field."""
    human = actor is not None and actor.is_authenticated
    return Entry.objects.create(
        ticket=ticket,
        kind=EntryKind.EVENT,
        author=actor if human else None,
        field=field,
        data=change_data(field, old, new, system=not human),
        body=reason,
    )


def rule_history(ticket: Ticket, field: str, old, new, *, rule: str) -> Entry:
    """A change made by a department's assignment rule: no author, `"system"` and the rule's
    mode in the data, so history says which rule did it."""
    data = change_data(field, old, new, system=True)
    data["rule"] = rule
    return Entry.objects.create(ticket=ticket, kind=EntryKind.EVENT, field=field, data=data)


def apply_status(ticket: Ticket, status: Status) -> tuple[str, ...]:
    """Set the status and the lifecycle timestamps that go with its category.

    `resolved_at` is the latest solution (a reopen clears it; auto-close counts from it),
    `first_resolved_at` the first one, never cleared; leaving resolved or closed for an open
    category counts a reopen. A change the requester can see moves the last public activity.
    Returns the fields to save (`STATUS_FIELDS`).
    """
    now = clock.now()
    before = ticket.status_category
    ticket.status = status
    ticket.status_category = status.category
    if status.category in DONE_CATEGORIES:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.first_resolved_at = ticket.first_resolved_at or ticket.resolved_at
        ticket.closed_at = now if status.category == StatusCategory.CLOSED else None
    else:
        if before in DONE_CATEGORIES:
            ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
    if requester_stage(before) != requester_stage(status.category):
        ticket.last_public_activity_at = now
    return STATUS_FIELDS


def touch(
    ticket: Ticket, *fields: str, public: bool = False, appended: Entry | None = None
) -> None:
    """Save `fields` with a new version and activity time; `public` for what the requester sees
    (a public reply), which also moves the last public activity. The version is incremented by
    the database itself, so an instance read before someone else's write can never move it
    backwards. `appended`: the reply or note this change added at the end of the thread, the
    only text of the request that changed (the search index then reads nothing else)."""
    held = _held_version(ticket)
    ticket.last_activity_at = clock.now()
    ticket.version = F("version") + 1
    extra = ["last_activity_at", "version", "updated_at"]
    if public:
        ticket.last_public_activity_at = ticket.last_activity_at
        extra.append("last_public_activity_at")
    ticket.save(update_fields=list(dict.fromkeys([*fields, *extra])))
    if held is not None:
        # Read under the row lock this transaction still holds: the database's increment
        # gave exactly this, and reading it back would cost a round trip per change.
        ticket.version = ticket._locked_version = held + 1
    else:
        ticket.refresh_from_db(fields=["version"])
    # Every change to a ticket passes here (ticket_create excepted): the search index follows
    # in the same transaction.
    if appended is not None:
        entry_indexed(ticket, appended)
    else:
        index_tickets(ticket)


def attach(entry: Entry, files: Iterable[CheckedFile]) -> list[Attachment]:
    created = []
    for checked in files:
        attachment = Attachment(
            ticket_id=entry.ticket_id,
            entry=entry,
            filename=checked.filename,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256 or file_sha256(checked.upload),
        )
        checked.upload.seek(0)
        attachment.file.save(checked.filename, checked.upload, save=False)
        attachment.save()
        created.append(attachment)
    return created


def log(actor, action: str, ticket: Ticket, **changes) -> None:
    event_record(actor=actor, action=action, obj=ticket, changes=changes)
