"""Reads of the notifications centre: a person's list and the header's counters."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from helpline.accounts.models import User

from .models import Notification

PAGE_SIZE = 50


def notifications_of(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """`user`'s own notifications, newest first, with what the page shows already joined."""
    qs = Notification.objects.filter(user_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("ticket", "actor").order_by("-created_at", "-id")


def notification_of(user, pk: int) -> Notification | None:
    return Notification.objects.filter(user_id=user.pk, pk=pk).first()


@dataclass(frozen=True)
class Counters:
    notifications: int
    mail: int


def _count(qs: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(qs.values("user_id").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def header_counters(user) -> Counters:
    """The desk header's badges — unread notifications and unread internal mail — in one
    query (two counted subqueries over partial indexes)."""
    from helpline.staffmail.models import Recipient

    unread = _count(Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True))
    mail = _count(
        Recipient.objects.filter(
            user_id=OuterRef("pk"), read_at__isnull=True, archived_at__isnull=True
        )
    )
    row = User.objects.filter(pk=user.pk).values_list(unread, mail).first()
    if row is None:
        return Counters(0, 0)
    return Counters(notifications=row[0], mail=row[1])
