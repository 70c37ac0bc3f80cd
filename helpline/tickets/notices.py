"""Notices: what happened to a request that someone outside the ticket domain may tell people.

The ticket services announce each fact once, inside their own transaction, through
`notice()`. Receivers (the mail channel's notifications; webhooks later) register with
`notice_receiver_add()` and must only *record* the fact durably in the same transaction —
composing and sending happen after the commit, in the worker. So every path into the domain
(portal, desk, mail, API, periodic jobs) produces the same notices, a rolled-back change
produces none, and a committed one always has its record (decision 0013).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from .models import Entry, Ticket


class NoticeKind(models.TextChoices):
    """The facts a notice can announce (codes are stored; labels are for the letter pages)."""

    CREATED = "created"  # a request was opened, from any channel
    REPLIED = "replied"  # staff wrote a public reply
    REQUESTER_REPLIED = "requester_replied"  # the requester (or a colleague) answered
    RESOLVED = "resolved"  # the request moved into a resolved status
    CLOSED = "closed"  # the request moved into a closed status
    ASSIGNED = "assigned"  # someone became responsible (data: assignee)
    TRANSFERRED = "transferred"  # another department has it now (data: department)
    ESCALATED = "escalated"  # the next line of support has it now (data: line)
    MENTIONED = "mentioned"  # staff named in an internal note (data: mentioned, user ids)


@dataclass(frozen=True)
class Notice:
    """One fact about a request, by ids (the receiver re-reads what it needs after commit)."""

    kind: str
    ticket_id: int
    actor_id: int | None = None
    entry_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # The request as the service holds it (locked, saved): a receiver running inside the
    # transaction may read it instead of the row; not part of the fact itself.
    ticket: "Ticket | None" = field(default=None, compare=False, repr=False)


Receiver = Callable[[Notice], object]
_receivers: list[Receiver] = []


def notice_receiver_add(receiver: Receiver) -> None:
    """Register `receiver` (once; apps call this from `ready()`)."""
    if receiver not in _receivers:
        _receivers.append(receiver)


def notice(
    kind: str, ticket: "Ticket", *, actor: Any = None, entry: "Entry | None" = None, **data: Any
) -> Notice:
    """Announce `kind` for `ticket` to every receiver, inside the caller's transaction.

    `actor` is the person who caused it (None for the system or an anonymous actor); `entry`
    the thread entry it concerns. Internal notes are never announced as a fact the outside may
    hear about; the one notice about a note is `mentioned`, which concerns staff only (its
    receivers never quote the note to a requester).
    """
    human = actor is not None and getattr(actor, "is_authenticated", False)
    item = Notice(
        kind=NoticeKind(kind).value,
        ticket_id=ticket.pk,
        actor_id=actor.pk if human else None,
        entry_id=entry.pk if entry is not None else None,
        data=data,
        ticket=ticket,
    )
    for receiver in _receivers:
        receiver(item)
    return item
