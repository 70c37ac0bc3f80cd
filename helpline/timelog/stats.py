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

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from helpline.accounts.models import Role, User
from helpline.tickets.models import (
    ENTRY_ASSIGNMENT,
    ENTRY_REOPENING,
    ENTRY_RESOLUTION,
    ENTRY_WRITTEN,
    Entry,
    EntryKind,
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


NAMES = ("replies", "notes", "taken", "resolved", "reopened")


def _work(
    first: datetime.datetime, after: datetime.datetime, author_ids: list[int]
) -> tuple[str, tuple]:
    """One row per counted entry these people wrote in the period — ticket_id, author_id and
    0/1 for each of replies, notes, taken, resolved, reopened. On PostgreSQL a UNION ALL of three
    reads, each through its own partial index and from the index alone: what they wrote, their
    resolutions, and their changes of the responsible person (taken: made themself
    responsible); on SQLite one pass over the period.

    A resolution was reopened later when its request has a reopening after it, that is when the
    request's last reopening is later than the resolution: on PostgreSQL the last reopenings
    since the period began (all a resolution in the period can have after it) are one small
    grouped read, joined by request, instead of a probe per resolution."""
    period = Q(created_at__gte=first, created_at__lt=after)
    if connection.vendor == "postgresql":
        # One array parameter instead of one per person: the hundreds of placeholders, three
        # times over, cost more to send than the rest of the statement. The array is cast to
        # the column's type, as psycopg sends small ids as smallint[] and `bigint =
        # ANY(smallint[])` is a cross-type comparison PostgreSQL tests element by element (200
        # comparisons per entry), where a same-type array is hashed once.
        table = connection.ops.quote_name(Entry._meta.db_table)
        author_type = Entry._meta.get_field("author").db_type(connection)
        period &= Q(
            RawSQL(  # noqa: S611
                f"{table}.author_id = ANY(%s::{author_type}[])", (list(author_ids),), BooleanField()
            )
        )
    else:
        period &= Q(author_id__in=author_ids)
    zero = Value(0, output_field=IntegerField())
    one = Value(1, output_field=IntegerField())
    columns = ("ticket_id", "author_id", "r", "n", "t", "s", "o")
    written = (
        Entry.objects.filter(ENTRY_WRITTEN, period)
        .annotate(
            r=Case(When(kind=EntryKind.REPLY, then=one), default=zero),
            n=Case(When(kind=EntryKind.NOTE, then=one), default=zero),
            t=zero,
            s=zero,
            o=zero,
        )
        .values_list(*columns)
    )
    taken = (
        Entry.objects.filter(ENTRY_ASSIGNMENT, period)
        .annotate(new_person=Cast(KT("data__new__id"), IntegerField()))
        .filter(new_person=F("author_id"))
        .annotate(r=zero, n=zero, t=one, s=zero, o=zero)
        .values_list(*columns)
    )
    if connection.vendor != "postgresql":
        # SQLite cannot use a partial index for a query whose values are bound parameters: one
        # pass over the period's range of entry_created serves all the figures there, rather
        # than three passes over it; a resolution asks its request's thread (entry_thread)
        # whether a reopening followed (SQLite would read the reopenings' grouped subquery
        # through the whole table in request order).
        reopened_later = Exists(
            Entry.objects.filter(
                ENTRY_REOPENING,
                ticket_id=OuterRef("ticket_id"),
                created_at__gt=OuterRef("created_at"),
            )
        )
        everything = (
            # Every status change, not only resolutions (they count zero): with the JSON test in
            # this condition SQLite would read each person's entries through the author index.
            Entry.objects.filter(
                ENTRY_WRITTEN | Q(kind=EntryKind.EVENT, field__in=("assignee", "status")), period
            )
            .annotate(new_person=Cast(KT("data__new__id"), IntegerField()))
            .annotate(
                r=Case(When(kind=EntryKind.REPLY, then=one), default=zero),
                n=Case(When(kind=EntryKind.NOTE, then=one), default=zero),
                t=Case(
                    When(ENTRY_ASSIGNMENT & Q(new_person=F("author_id")), then=one), default=zero
                ),
                s=Case(When(ENTRY_RESOLUTION, then=one), default=zero),
                # AND stops at the first false operand: the probe runs for resolutions only.
                o=Case(When(ENTRY_RESOLUTION & Q(reopened_later), then=one), default=zero),
            )
            .values_list(*columns)
        )
        return everything.query.sql_with_params()
    reopened_sql, reopened_params = (
        Entry.objects.filter(ENTRY_REOPENING, created_at__gt=first)
        .values("ticket_id")
        .annotate(last=Max("created_at"))
        .values_list("ticket_id", "last")
        .order_by()
        .query.sql_with_params()
    )
    written_sql, written_params = written.union(taken, all=True).query.sql_with_params()
    resolutions_sql, resolutions_params = (
        Entry.objects.filter(ENTRY_RESOLUTION, period)
        .values_list("ticket_id", "author_id", "created_at")
        .query.sql_with_params()
    )
    sql = (
        f"{written_sql} UNION ALL "  # noqa: S608 (Django's SQL, values as params)
        "SELECT z.ticket_id, z.author_id, 0, 0, 0, 1,"
        " CASE WHEN y.last > z.created_at THEN 1 ELSE 0 END"
        f" FROM ({resolutions_sql}) AS z LEFT JOIN ({reopened_sql}) AS y"
        " ON y.ticket_id = z.ticket_id"
    )
    return sql, (*written_params, *resolutions_params, *reopened_params)


_SUMS = "SUM(u.r), SUM(u.n), SUM(u.t), SUM(u.s), SUM(u.o)"


def _figures_by_author(first, after, author_ids: list[int]) -> dict[int, dict[str, int]]:
    """The figures per author (an agent's or a supervisor's own rows)."""
    sql, params = _work(first, after, author_ids)
    query = f"SELECT u.author_id, {_SUMS} FROM ({sql}) AS u GROUP BY u.author_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            row[0]: dict(zip(NAMES, (int(v or 0) for v in row[1:]), strict=True))
            for row in cursor.fetchall()
        }


def _cross_figures(first, after, author_ids: list[int]) -> dict[tuple[int, int], dict[str, int]]:
    """The figures per (author, department of the request), in one pass over the period's
    counted entries, each joined to its request's department and summed straight into these
    few groups. People's and departments' rows are both sums of these groups.

    On PostgreSQL the join is a nested loop probing `ticket_department_of` (index-only) for
    each counted entry, inside the parallel workers that read the entries, each worker summing
    its share into (author, department) before the gather: more probes than one per request
    and author, but no second grouping of the period's (request, author) pairs in the leader
    and the probes shared between processes."""
    sql, params = _work(first, after, author_ids)
    table = connection.ops.quote_name(Ticket._meta.db_table)
    if connection.vendor == "postgresql":
        query = (
            "SELECT w.author_id, t.department_id, "  # noqa: S608 (Django's SQL, values as params)
            "SUM(w.r), SUM(w.n), SUM(w.t), SUM(w.s), SUM(w.o)"
            f" FROM ({sql}) AS w JOIN {table} AS t ON t.id = w.ticket_id"
            " GROUP BY w.author_id, t.department_id"
        )
    else:
        # SQLite runs in one process, so a probe per entry buys nothing there: summed per
        # request and author first, then one probe of the tickets' primary key per pair.
        query = (
            "SELECT u.author_id, u.department_id, "  # noqa: S608 (Django's SQL, values as params)
            f"{_SUMS} FROM ("
            f" SELECT (SELECT t.department_id FROM {table} AS t WHERE t.id = p.ticket_id)"
            " AS department_id, p.* FROM ("
            "  SELECT w.ticket_id, w.author_id, SUM(w.r) AS r, SUM(w.n) AS n, SUM(w.t) AS t,"
            "  SUM(w.s) AS s, SUM(w.o) AS o"
            f"  FROM ({sql}) AS w GROUP BY w.ticket_id, w.author_id) AS p) AS u"
            " GROUP BY u.author_id, u.department_id"
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            (row[0], row[1]): dict(zip(NAMES, (int(v or 0) for v in row[2:]), strict=True))
            for row in cursor.fetchall()
        }


def _summed(cross, keep, side: int) -> dict[int, dict[str, int]]:
    totals: dict[int, dict[str, int]] = {}
    for pair, figures in cross.items():
        key = pair[side]
        if key not in keep:
            continue
        into = totals.setdefault(key, dict.fromkeys(NAMES, 0))
        for name in NAMES:
            into[name] += figures[name]
    return totals


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


def _medians_for_everyone(first, after) -> tuple[dict[int, float], dict[int, float]]:
    """The administrator's two medians — per person responsible and per department, over every
    request first answered in the period — from one read of `ticket_first_response` on
    PostgreSQL (grouping sets: one scan, one sort per grouping). The same figures as
    `_medians` per person (of the requests someone is responsible for) and per department."""
    inner = (
        Ticket.objects.filter(first_response_at__gte=first, first_response_at__lt=after)
        .annotate(p=F("assignee_id"), d=F("department_id"), fr=F("first_response_at"))
        .annotate(ca=F("created_at"))
        .values("p", "d", "fr", "ca")
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    query = (
        "SELECT GROUPING(p), CASE WHEN GROUPING(p) = 0 THEN p ELSE d END,"  # noqa: S608 (Django's SQL, values as params)
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM fr - ca))"
        f" FROM ({sql}) AS x GROUP BY GROUPING SETS ((p), (d))"
    )
    people: dict[int, float] = {}
    departments: dict[int, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for by_department, g, value in cursor.fetchall():
            if g is not None:
                (departments if by_department else people)[g] = round(float(value))
    return people, departments


def activity_statistics(actor, *, start: datetime.date, end: datetime.date) -> ActivityStatistics:
    """The figures `actor` may see for `start`..`end`: their own; a supervisor's departments and
    their members; everything for administrators. At most nine queries (people and departments:
    thread entries, first responses, time logged; the names; all staff for a supervisor)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The correlated reopen check inflates the planner's cost estimate past JIT's
            # threshold: compiling took longer than these queries run.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = %s", ["32MB"])
        return _statistics(actor, start=start, end=end)


def _statistics(actor, *, start: datetime.date, end: datetime.date) -> ActivityStatistics:
    first, after = period_bounds(start, end)
    stats = ActivityStatistics(start=start, end=end)
    supervised = supervised_departments(actor)
    people = list(report_people(actor).only("id", "first_name", "last_name", "email"))
    people_ids = [p.pk for p in people]

    # People: what they wrote and did, first responses on the requests they are responsible
    # for, the time they logged.
    # Authors by id, not by a join on their role: with the ids the planner sees how many
    # entries match and aggregates by hashing instead of sorting a period's entries on disk.
    oversees = supervised is None or bool(supervised)
    departments = list(report_departments(actor).only("id", "name", "path")) if oversees else []
    department_ids = [d.pk for d in departments]
    cross: dict[tuple[int, int], dict[str, int]] = {}
    if oversees:
        # One pass serves both tables: every staff member's work, by author and department.
        staff_ids = (
            people_ids
            if supervised is None
            else list(User.objects.filter(role__in=Role.STAFF).values_list("pk", flat=True))
        )
        cross = _cross_figures(first, after, staff_ids)
        figures = _summed(cross, set(people_ids), 0)
    else:
        figures = _figures_by_author(first, after, people_ids)
    department_medians: dict[int, float] | None = None
    if supervised is None and connection.vendor == "postgresql":
        medians, department_medians = _medians_for_everyone(first, after)
    else:
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
    if oversees:
        figures = _summed(cross, set(department_ids), 1)
        answered = Ticket.objects.filter(first_response_at__gte=first, first_response_at__lt=after)
        logged_in = logged
        if supervised is not None:
            answered = answered.filter(department_id__in=department_ids)
            logged_in = logged_in.filter(ticket__department_id__in=department_ids)
        medians = (
            _medians(answered, "department_id")
            if department_medians is None
            else department_medians
        )
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
