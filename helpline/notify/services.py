"""Writes of the notifications centre: record what happened to whom, mark it read.

`notice_record` is a receiver of the ticket domain's notices (`helpline.tickets.notices`): it
runs inside the change's transaction, like the mail channel's, so a rolled-back change leaves no
notification and a committed one always has its rows. Who is told is decided once, in
`helpline.tickets.concerned`, for letters and this centre alike; the centre shows everyone
concerned, letters go only to those who chose them.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import User
from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import PermissionDenied
from helpline.tickets.concerned import staff_concerned
from helpline.tickets.models import Ticket
from helpline.tickets.notices import Notice, NoticeKind

from .models import Kind, Notification

# The ticket notices the centre shows, and as what. New requests in one's departments are the
# board's business (its "new" view), not a notification each.
FROM_NOTICE = {
    NoticeKind.ASSIGNED: Kind.ASSIGNED,
    NoticeKind.TRANSFERRED: Kind.TRANSFERRED,
    NoticeKind.ESCALATED: Kind.ESCALATED,
    NoticeKind.REQUESTER_REPLIED: Kind.REQUESTER_REPLIED,
    NoticeKind.MENTIONED: Kind.MENTIONED,
}


def notice_record(notice: Notice) -> list[Notification]:
    """Store a notification for each staff member `notice` concerns (in the caller's
    transaction)."""
    kind = FROM_NOTICE.get(NoticeKind(notice.kind))
    if kind is None:
        return []
    # The service's own instance, saved in this transaction, when it came with the notice (its
    # responsible person is then read only if there is one); else the row.
    ticket = notice.ticket
    if ticket is None:
        ticket = (
            Ticket.objects.select_related("department", "assignee")
            .filter(pk=notice.ticket_id)
            .first()
        )
    if ticket is None:
        return []
    concerned = staff_concerned(notice.kind, ticket, actor_id=notice.actor_id, data=notice.data)
    data = {"entry": notice.entry_id} if notice.entry_id else {}
    return notifications_add(
        users=[c.user for c in concerned],
        kind=kind,
        ticket=ticket,
        actor_id=notice.actor_id,
        data=data,
    )


def notifications_add(
    *,
    users: Iterable[User],
    kind: str,
    actor_id: int | None,
    ticket: Ticket | None = None,
    data: dict | None = None,
) -> list[Notification]:
    """One unread notification of `kind` for each of `users` (the caller decided who; their
    own permission checks are done). Runs in the caller's transaction."""
    now = clock.now()
    rows = [
        Notification(
            user_id=user.pk,
            kind=Kind(kind),
            ticket=ticket,
            actor_id=actor_id,
            data=dict(data or {}),
            created_at=now,
        )
        for user in users
    ]
    return Notification.objects.bulk_create(rows) if rows else []


@transaction.atomic
def notification_read(*, notification: Notification, actor) -> Notification:
    """Mark one's own notification read (someone else's: refused). Records
    `notification.read` in the event log when it was unread (marking it again changes nothing
    and records nothing)."""
    if notification.user_id != actor.pk:
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        now = clock.now()
        changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now
        )
        notification.read_at = now
        if changed:
            event_record(
                actor=actor,
                action="notification.read",
                obj=notification,
                changes={"kind": notification.kind},
            )
    return notification


@transaction.atomic
def notifications_read_all(*, actor) -> int:
    """Mark every unread notification of `actor` read; returns how many. Records
    `notification.read_all` with the ids when there were any."""
    rows = Notification.objects.select_for_update().filter(user_id=actor.pk, read_at__isnull=True)
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    count = Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(
        read_at=clock.now()
    )
    event_record(
        actor=actor,
        action="notification.read_all",
        obj=actor,
        changes={"count": count, "notifications": ids},
    )
    return count


def notifications_read_about(*, actor, kind: str, **data: int) -> int:
    """Mark `actor`'s unread notifications of `kind` about the object in `data` read (opening
    a message reads the notification of it)."""
    lookups = {f"data__{key}": value for key, value in data.items()}
    return Notification.objects.filter(
        user_id=actor.pk, kind=kind, read_at__isnull=True, **lookups
    ).update(read_at=clock.now())
