"""Activity statistics: per staff member and per department for a period, in aggregate SQL.

Figures for a period (dates in the desk's time zone, both ends included):

- taken: the person took the request themself (history: responsible changed to its author);
- replies, notes: thread entries they wrote (per department: on the department's requests);
- resolved: status changes into a resolved status they made; reopened: of those, how many the
  request later left for an open status again;
- median first response: of requests first answered in the period, the median time from
  creation to first response (per person: the requests they are responsible for);
- time logged: minutes of time entries dated in the period.

Every figure is one grouped query (no loop over requests); the median is PostgreSQL's
`percentile_cont`, and on SQLite a window function picks the middle row(s) of each group.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.tickets.models import (
    DONE_CATEGORIES,
    OPEN_CATEGORIES,
    Entry,
    EntryKind,
    StatusCategory,
    Ticket,
)

from .access import report_departments, report_people, supervised_departments
from .models import TimeEntry

FIGURES = ("taken", "replies", "notes", "resolved", "reopened", "median_response", "minutes")


@dataclass
class Row:
    key: int
    name: str
    taken: int = 0
    replies: int = 0
    notes: int = 0
    resolved: int = 0
    reopened: int = 0
    median_response: float | None = None  # seconds
    minutes: int = 0


@dataclass
class ActivityStatistics:
    start: datetime.date
    end: datetime.date
    people: list[Row] = field(default_factory=list)
    departments: list[Row] = field(default_factory=list)


def period_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The moments the dates `start`..`end` (inclusive) cover, in the current time zone."""
    zone = timezone.get_current_timezone()
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    return first, after.replace(tzinfo=zone)


def _entry_figures(entries: QuerySet[Entry], group: str) -> dict[int, dict[str, int]]:
    """Taken, replies, notes, resolved and reopened per `group`, in one pass over the period's
    thread entries."""
    event = Q(kind=EntryKind.EVENT)
    resolved = event & Q(field="status", data__new__category=StatusCategory.RESOLVED)
    reopened_later = Exists(
        Entry.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            kind=EntryKind.EVENT,
            field="status",
            created_at__gt=OuterRef("created_at"),
            data__old__category__in=list(DONE_CATEGORIES),
            data__new__category__in=list(OPEN_CATEGORIES),
        )
    )
    rows = (
        entries.annotate(
            new_person=Cast(KT("data__new__id"), IntegerField()),
        )
        .values(group)
        .annotate(
            replies=Count("id", filter=Q(kind=EntryKind.REPLY)),
            notes=Count("id", filter=Q(kind=EntryKind.NOTE)),
            taken=Count("id", filter=event & Q(field="assignee", new_person=F("author_id"))),
            resolved=Count("id", filter=resolved),
            # AND stops at the first false operand: the subquery runs for resolutions only.
            reopened=Count("id", filter=resolved & Q(reopened_later)),
        )
        .order_by()
    )
    return {row[group]: row for row in rows}


def _medians(tickets: QuerySet[Ticket], group: str) -> dict[int, float]:
    """Median seconds from creation to first response per `group`, computed in the database."""
    inner = (
        tickets.annotate(g=F(group), fr=F("first_response_at"), ca=F("created_at"))
        .values("g", "fr", "ca")
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    if connection.vendor == "postgresql":
        query = (
            "SELECT g, percentile_cont(0.5) WITHIN GROUP "  # noqa: S608 (Django's SQL, values as params)
            "(ORDER BY extract(epoch FROM fr - ca)) "
            f"FROM ({sql}) AS d GROUP BY g"
        )
    else:
        # SQLite has no percentile: number each group's rows in order and average the middle
        # one (odd count) or two (even count).
        query = (
            "SELECT g, AVG(s) FROM ("  # noqa: S608 (Django's SQL, values as params)
            " SELECT g, s, ROW_NUMBER() OVER (PARTITION BY g ORDER BY s) AS rn,"
            " COUNT(*) OVER (PARTITION BY g) AS n FROM ("
            "  SELECT g, (julianday(fr) - julianday(ca)) * 86400.0 AS s"
            f"  FROM ({sql}) AS d0) AS d1) AS d2"
            " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY g"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        # Whole seconds: SQLite's julianday arithmetic is exact only to a few microseconds.
        return {g: round(float(value)) for g, value in cursor.fetchall() if g is not None}


def activity_statistics(actor, *, start: datetime.date, end: datetime.date) -> ActivityStatistics:
    """The figures `actor` may see for `start`..`end`: their own; a supervisor's departments and
    their members; everything for administrators. Eight queries (people and departments: thread
    entries, first responses, time logged; the names)."""
    first, after = period_bounds(start, end)
    stats = ActivityStatistics(start=start, end=end)
    supervised = supervised_departments(actor)
    people = list(report_people(actor).only("id", "first_name", "last_name", "email"))
    people_ids = [p.pk for p in people]
    in_period = Q(created_at__gte=first, created_at__lt=after)
    staff_authors = Entry.objects.filter(in_period).filter(
        author__role__in=Role.STAFF, kind__in=(EntryKind.REPLY, EntryKind.NOTE, EntryKind.EVENT)
    )

    # People: what they wrote and did, first responses on the requests they are responsible
    # for, the time they logged.
    by_author = (
        staff_authors.filter(author_id__in=people_ids)
        if supervised is not None
        else (staff_authors)
    )
    figures = _entry_figures(by_author, "author_id")
    answered = Ticket.objects.filter(
        first_response_at__gte=first, first_response_at__lt=after, assignee_id__isnull=False
    )
    if supervised is not None:
        answered = answered.filter(assignee_id__in=people_ids)
    medians = _medians(answered, "assignee_id")
    logged = TimeEntry.objects.filter(date__gte=start, date__lte=end)
    minutes = {
        row["author_id"]: row["total"]
        for row in (logged.filter(author_id__in=people_ids) if supervised is not None else logged)
        .values("author_id")
        .annotate(total=Sum("minutes"))
        .order_by()
    }
    for person in people:
        stats.people.append(_row(person.pk, person.display_name, figures, medians, minutes))

    # Departments: the same figures over each department's requests (only the departments the
    # actor oversees; an agent sees none).
    if supervised is None or supervised:
        departments = list(report_departments(actor).only("id", "name"))
        department_ids = [d.pk for d in departments]
        on_requests = staff_authors
        answered = Ticket.objects.filter(first_response_at__gte=first, first_response_at__lt=after)
        logged_in = logged
        if supervised is not None:
            on_requests = on_requests.filter(ticket__department_id__in=department_ids)
            answered = answered.filter(department_id__in=department_ids)
            logged_in = logged_in.filter(ticket__department_id__in=department_ids)
        figures = _entry_figures(on_requests, "ticket__department_id")
        medians = _medians(answered, "department_id")
        minutes = {
            row["ticket__department_id"]: row["total"]
            for row in logged_in.values("ticket__department_id")
            .annotate(total=Sum("minutes"))
            .order_by()
        }
        for department in departments:
            stats.departments.append(
                _row(department.pk, department.name, figures, medians, minutes)
            )
    return stats


def _row(key: int, name: str, figures, medians, minutes) -> Row:
    found = figures.get(key, {})
    return Row(
        key=key,
        name=name,
        taken=found.get("taken", 0),
        replies=found.get("replies", 0),
        notes=found.get("notes", 0),
        resolved=found.get("resolved", 0),
        reopened=found.get("reopened", 0),
        median_response=medians.get(key),
        minutes=minutes.get(key) or 0,
    )
