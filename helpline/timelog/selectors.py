"""Reading time: a request's entries and total, the per-request total for lists, the export."""

import datetime
from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from helpline.tickets.models import Ticket

from .access import may_change, report_entries_filter
from .models import ActivityType, RunningTimer, TimeEntry


def minutes_text(minutes: int | None) -> str:
    """`90` → `1:30` (hours and minutes, the way time sheets read)."""
    minutes = int(minutes or 0)
    return f"{minutes // 60}:{minutes % 60:02d}"


def ticket_minutes_total() -> Coalesce:
    """An annotation: the minutes logged on each request (one correlated subquery, so a list of
    requests keeps its query count)."""
    total = (
        TimeEntry.objects.filter(ticket_id=OuterRef("pk"))
        .order_by()
        .values("ticket_id")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


@dataclass
class TicketTime:
    ticket: Ticket
    entries: list[TimeEntry]
    total: int
    billable: int
    timer: RunningTimer | None
    activities: list[ActivityType]
    changeable: set[int]  # the entries `user` may edit and delete

    @property
    def total_text(self) -> str:
        return minutes_text(self.total)


def ticket_time(user, ticket: Ticket) -> TicketTime:
    """The time panel of `ticket` for `user` (who may open it): every entry, newest first, with
    whether `user` may change each; the totals; `user`'s running timer. Three queries."""
    entries = list(TimeEntry.objects.filter(ticket=ticket).select_related("author", "activity"))
    changeable = {entry.pk for entry in entries if may_change(user, entry, ticket)}
    timer = RunningTimer.objects.filter(ticket=ticket, author=user).first()
    activities = list(ActivityType.objects.filter(is_active=True))
    return TicketTime(
        ticket=ticket,
        entries=entries,
        total=sum(e.minutes for e in entries),
        billable=sum(e.minutes for e in entries if e.billable),
        timer=timer,
        activities=activities,
        changeable=changeable,
    )


def time_entries_report(
    user,
    *,
    start: datetime.date,
    end: datetime.date,
    person: int | None = None,
    department: int | None = None,
    organisation: int | None = None,
) -> QuerySet[TimeEntry]:
    """Time entries dated `start`..`end` (inclusive) that `user` may see in reports, narrowed by
    person, request department and request organisation; in date order, for streaming."""
    qs = TimeEntry.objects.filter(date__gte=start, date__lte=end)
    condition = report_entries_filter(user)
    if condition is not None:
        qs = qs.filter(condition)
    if person:
        qs = qs.filter(author_id=person)
    if department:
        qs = qs.filter(ticket__department_id=department)
    if organisation:
        qs = qs.filter(ticket__organisation_id=organisation)
    return qs.select_related(
        "author", "activity", "ticket", "ticket__department", "ticket__organisation"
    ).order_by("date", "id")
