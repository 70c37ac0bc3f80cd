"""Reads for the agents' board: views, filters, keyset pages, capped per-view counts, choices."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Exists,
    ExpressionWrapper,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.tuple_lookups import TupleGreaterThan, TupleLessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpline.accounts.models import Department, User
from helpline.accounts.reference import departments_all
from helpline.core import clock
from helpline.core.reference import remembered
from helpline.tickets.access import (
    departments_with,
    requester_directory,
    staff_visible,
)
from helpline.tickets.models import (
    OPEN_CATEGORIES,
    WAITING_CATEGORIES,
    Entry,
    EntryKind,
    Status,
    StatusCategory,
    Tag,
    Ticket,
)
from helpline.tickets.reference import statuses_active
from helpline.tickets.search import ticket_matches
from helpline.timelog.selectors import ticket_minutes_total

from .permissions import staff_tickets

PAGE_SIZE = 50
# Counts stop at this many rows: "999+" is all a queue badge needs, and a capped count reads at
# most COUNT_CAP index entries per view however large the desk grows.
COUNT_CAP = 1000
COUNT_CACHE_SECONDS = 30
# Saved views and their counts, cached per agent beside these counts, and the generation that
# any saved view's change renews (helpline.desk.saved).
SAVED_SIDEBAR_KEY = "desk:saved-views:v1:%s"
SAVED_GENERATION_KEY = "desk:saved-views:generation"
RECENT_DAYS = 7


@dataclass(frozen=True)
class BoardView:
    key: str
    label: str  # the page's title
    short: str  # the sidebar's entry, under the heading "Requests"
    icon: str
    counted: bool = False


BOARD_VIEWS = {
    view.key: view
    for view in (
        BoardView("mine", _("My open"), _("My open"), "bi-person-check", counted=True),
        BoardView(
            "unassigned",
            _("Unassigned in my departments"),
            pgettext_lazy("board view: unassigned requests", "Unassigned"),
            "bi-inbox",
            counted=True,
        ),
        BoardView(
            "open", _("All open in my departments"), _("All open"), "bi-collection", counted=True
        ),
        BoardView("pending", _("Pending"), _("Pending"), "bi-hourglass-split", counted=True),
        BoardView("recent", _("Recently updated"), _("Recently updated"), "bi-clock-history"),
        BoardView("archive", _("Archive (closed)"), _("Archive"), "bi-archive"),
        BoardView("trash", _("Trash"), _("Trash"), "bi-trash3", counted=True),
        BoardView("all", _("All requests"), _("All requests"), "bi-search"),
    )
}
# The board opens on every open request of the agent's departments, newest activity first: the
# same queue for everybody on the shift, whether or not they own anything yet, so a dispatcher
# sees new requests arrive and a specialist's own work is one click away ("My open").
DEFAULT_VIEW = "open"
SIDEBAR_VIEWS = ("mine", "unassigned", "open", "pending", "recent", "archive", "trash")

# Sort key -> keyset columns. Each matches an index in tickets/models.py, so a page is an index
# range scan; ticket numbers grow with creation, so "created" sorts by the primary key alone.
SORTS = {
    "activity": ("last_activity_at", "id"),
    "created": ("id",),
    "priority": ("priority", "last_activity_at", "id"),
    "deleted": ("deleted_at", "id"),
}
SORT_LABELS = {
    "activity": _("Last activity"),
    "created": _("Created"),
    "priority": _("Priority"),
    "deleted": _("Deleted"),
}
_DATETIME_COLUMNS = {"last_activity_at", "deleted_at"}
# What a board page reads of each request and its joined rows: the rows' cells, the sort keys.
_PERSON = ("first_name", "last_name", "email")  # User.display_name
BOARD_COLUMNS = (
    "subject",
    "status__name",
    "status_category",
    "ticket_class",
    "channel",
    "priority",
    "line",
    "department__name",
    "organisation__name",
    "last_activity_at",
    "last_public_activity_at",
    "deleted_at",
    *(f"assignee__{f}" for f in _PERSON),
    *(f"requester__{f}" for f in _PERSON),
)


def can_see_trash(user) -> bool:
    return user.is_supervisor_or_admin or bool(departments_with(user, "manage"))


def visible_views(user) -> list[BoardView]:
    """The sidebar's views for `user`; the trash only for those who can delete."""
    trash = can_see_trash(user)
    return [BOARD_VIEWS[k] for k in SIDEBAR_VIEWS if k != "trash" or trash]


def view_allowed(user, key: str) -> bool:
    return key in BOARD_VIEWS and (key != "trash" or can_see_trash(user))


def view_tickets(user, key: str) -> QuerySet[Ticket]:
    """The unordered tickets of one board view, limited to what `user` may see."""
    if key == "trash":
        deleted = Ticket.objects.filter(deleted_at__isnull=False)
        allowed = departments_with(user, "manage")
        return deleted if allowed is None else deleted.filter(department_id__in=allowed)
    qs = staff_tickets(user).filter(deleted_at__isnull=True)
    if key == "mine":
        return qs.filter(assignee_id=user.pk, status_category__in=OPEN_CATEGORIES)
    if key == "unassigned":
        return qs.filter(assignee__isnull=True, status_category__in=OPEN_CATEGORIES)
    if key == "open":
        return qs.filter(status_category__in=OPEN_CATEGORIES)
    if key == "pending":
        return qs.filter(status_category__in=WAITING_CATEGORIES)
    if key == "recent":
        return qs.filter(last_activity_at__gte=clock.now() - timedelta(days=RECENT_DAYS))
    if key == "archive":
        return qs.filter(status_category=StatusCategory.CLOSED)
    return qs


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    status: int | None = None
    ticket_class: str = ""
    priority: int | None = None
    departments: frozenset[int] | None = None
    responsible: str = ""  # "", "me", "none" or a user id
    channel: str = ""
    organisation: int | None = None
    requester: int | None = None
    tag: int | None = None
    text: str = ""

    @property
    def active(self) -> bool:
        return any(
            value not in (None, "")
            for value in (
                self.status,
                self.ticket_class,
                self.priority,
                self.departments,
                self.responsible,
                self.channel,
                self.organisation,
                self.requester,
                self.tag,
                self.text,
            )
        )


def filter_tickets(qs: QuerySet[Ticket], filters: BoardFilters, user) -> QuerySet[Ticket]:
    if filters.status is not None:
        qs = qs.filter(status_id=filters.status)
    if filters.ticket_class:
        qs = qs.filter(ticket_class=filters.ticket_class)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.departments is not None:
        qs = qs.filter(department_id__in=filters.departments)
    if filters.responsible == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif filters.responsible == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.responsible:
        qs = qs.filter(assignee_id=int(filters.responsible))
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.requester is not None:
        qs = qs.filter(requester_id=filters.requester)
    if filters.tag is not None:
        qs = qs.filter(tags__id=filters.tag)
    if filters.text:
        # The search engine: subject, replies, notes, requester, addresses, tags, number.
        # The engine answers the matching ids from its index first (one bounded statement): no
        # match is an empty board without reading tickets, a few thousand are filtered by id,
        # more (a common word) leave the board to walk its own order, probing the index.
        matches = ticket_matches(user, filters.text)
        if matches is None or matches.ids == []:
            qs = qs.none()
        elif matches.ids is None and connection.vendor == "sqlite":
            # Over the cap: `id + 0` keeps SQLite from looking every match up by rowid and
            # sorting them, which its planner statistics make it prefer; walking the board's
            # order and probing costs half (docs/admin/benchmarks.md, "planner statistics").
            probe = ExpressionWrapper(F("pk") + 0, output_field=BigIntegerField())
            qs = qs.alias(search_probe=probe).filter(search_probe__in=matches.filter_sql())
        else:
            qs = qs.filter(pk__in=matches.filter_sql())
    return qs


def ticket_number(text: str) -> int | None:
    """ "#123" or "123" typed in the search box means ticket 123."""
    digits = text.strip().removeprefix("#")
    return int(digits) if digits.isdigit() and 0 < len(digits) < 19 else None


def visible_ticket_id(user, number: int) -> int | None:
    return staff_tickets(user).filter(pk=number).values_list("pk", flat=True).first()


# --- keyset pages ---------------------------------------------------------------------------


def cursor_encode(ticket: Ticket, sort: str) -> str:
    values = []
    for column in SORTS[sort]:
        value = getattr(ticket, column)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def cursor_decode(token: str, sort: str) -> tuple | None:
    """The keyset position a cursor names, or None when it is not one of ours."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        columns = SORTS[sort]
        if not isinstance(raw, list) or len(raw) != len(columns):
            return None
        values = []
        for column, value in zip(columns, raw, strict=True):
            if column in _DATETIME_COLUMNS:
                parsed = datetime.fromisoformat(value)
                if timezone.is_naive(parsed):
                    return None
                values.append(parsed)
            elif isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            else:
                return None
        return tuple(values)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class BoardPage:
    tickets: list[Ticket]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    sort: str = "activity"
    descending: bool = True


def _after(columns: tuple[str, ...], position: tuple, lower: bool) -> Q:
    """Rows strictly after `position` in the scan direction, as a row-value comparison.

    The extra bound on the leading column lets databases without row values (SQLite, where
    Django expands the tuple into ORs) still start the index scan at the cursor.
    """
    lookup = TupleLessThan if lower else TupleGreaterThan
    lead = {f"{columns[0]}__{'lte' if lower else 'gte'}": position[0]}
    if len(columns) == 1:
        return Q(**{f"{columns[0]}__{'lt' if lower else 'gt'}": position[0]})
    return Q(**lead) & Q(lookup(tuple(F(c) for c in columns), position))


def _last_public_role() -> Subquery:
    """The role of whoever wrote the ticket's latest public entry (a reply or the description):
    "requester" means the requester spoke last and it is the desk's turn. One backwards probe of
    the thread index per row of the page, inside the page's own statement."""
    latest = Entry.objects.filter(ticket_id=OuterRef("pk"), kind=EntryKind.REPLY).order_by(
        "-created_at", "-id"
    )
    return Subquery(latest.values("author__role")[:1])


class _TagNames(Subquery):
    """The names of a request's tags in name order, one JSON array read in the page's own
    statement: the prefetch it replaces was a second query, and Django's prefetch machinery
    around it cost more than the query."""

    output_field = JSONField()

    def __init__(self) -> None:
        names = Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")
        super().__init__(names)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="(SELECT json_group_array(name) FROM (%(subquery)s) AS tag_names)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=(
                # As text, which JSONField decodes (psycopg would hand over a list already).
                "(SELECT COALESCE(json_agg(name ORDER BY name), '[]')::text"
                " FROM (%(subquery)s) AS tag_names)"
            ),
            **extra_context,
        )


def ticket_board(
    qs: QuerySet[Ticket],
    *,
    sort: str = "activity",
    descending: bool = True,
    after: str = "",
    before: str = "",
    page_size: int = PAGE_SIZE,
    time_total: bool = False,
) -> BoardPage:
    """One page of `qs` by keyset: `after` continues the scan past a row, `before` steps back.

    Never OFFSET: a page costs the same at the millionth row as at the first. `time_total`
    adds each row's logged minutes (`time_total`) as a subquery of the same statement.
    """
    columns = SORTS[sort]
    backwards = False
    position = cursor_decode(after, sort) if after else None
    if position is None and before:
        position = cursor_decode(before, sort)
        backwards = position is not None
    scan_descending = descending != backwards
    if position is not None:
        qs = qs.filter(_after(columns, position, lower=scan_descending))
    ordering = [f"-{c}" if scan_descending else c for c in columns]
    # The page's ids are chosen from the tickets table alone, in a subquery; only those rows are
    # then joined to their status, people and organisation. Still one statement, but the joins
    # can no longer be planned around a filter the database misjudges: a text search it expected
    # one match from made PostgreSQL rescan the organisations for every matching ticket
    # (0.34 s instead of 0.08 s at a million tickets, bench/ and docs/admin/benchmarks.md).
    page_ids = qs.order_by(*ordering).values("pk")[: page_size + 1]
    qs = (
        Ticket.objects.filter(pk__in=page_ids)
        .select_related("status", "department", "assignee", "requester", "organisation")
        # Only the columns a row shows (helpline/desk/rows.py) and the cursors use: the five
        # joined rows' every column (passwords, settings, dates) cost a third of reading a page.
        .only(*BOARD_COLUMNS)
        .annotate(last_public_role=_last_public_role(), tag_names=_TagNames())
        .order_by(*ordering)
    )
    if time_total:
        qs = qs.annotate(time_total=ticket_minutes_total())
    rows = list(qs)
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    page = BoardPage(tickets=rows, sort=sort, descending=descending)
    if rows:
        # Going forward, an earlier page exists exactly when we came through a cursor; going
        # back, the page we came from is always there.
        has_next = more if not backwards else True
        has_prev = position is not None if not backwards else more
        page.next_cursor = cursor_encode(rows[-1], sort) if has_next else None
        page.prev_cursor = cursor_encode(rows[0], sort) if has_prev else None
    return page


# --- counts ---------------------------------------------------------------------------------


def _capped_counts(querysets: dict[str, QuerySet]) -> dict[str, int]:
    """Count each queryset up to COUNT_CAP rows, all in one round trip.

    Each part is `SELECT COUNT(*) FROM (SELECT id … LIMIT cap)`: the database stops reading the
    view's index after `cap` rows, so a queue of a million costs what a queue of a thousand does.
    """
    parts: list[str] = []
    params: list = []
    counts: dict[str, int] = {}
    keys: list[str] = []
    for key, qs in querysets.items():
        try:
            sql, sql_params = qs.order_by().values("pk")[:COUNT_CAP].query.sql_with_params()
        except EmptyResultSet:
            counts[key] = 0
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{len(keys)})")  # noqa: S608
        params.extend(sql_params)
        keys.append(key)
    if parts:
        with connection.cursor() as cursor:
            # Only ORM-compiled SQL is joined here; every value travels as a parameter.
            cursor.execute("SELECT " + ", ".join(parts), params)  # noqa: S608
            counts.update(zip(keys, cursor.fetchone(), strict=True))
    return counts


def view_counts(user) -> dict[str, int]:
    """Capped ticket counts of the counted sidebar views, cached per user for half a minute.

    Every desk page shows these badges; recounting on each click would put several index scans
    in front of every page view. Thirty seconds is fresher than anybody reads a badge, and one
    cache read (a primary-key lookup, or Redis at scale) replaces them. Memoised on the user so
    one request computes them once.
    """
    memo = getattr(user, "_helpline_view_counts", None)
    if memo is not None:
        return memo
    key = f"desk:view-counts:v1:{user.pk}"
    # The saved views' entry and its generation come in the same round trip (saved.py).
    found = cache.get_many([key, SAVED_SIDEBAR_KEY % user.pk, SAVED_GENERATION_KEY])
    user._helpline_saved_prefetched = found
    counts = found.get(key)
    if counts is None:
        counts = _capped_counts(
            {view.key: view_tickets(user, view.key) for view in visible_views(user) if view.counted}
        )
        cache.set(key, counts, COUNT_CACHE_SECONDS)
    user._helpline_view_counts = counts
    return counts


def view_counts_forget(user) -> None:
    """Drop the cached counts after `user` changed tickets, so their badges follow at once."""
    user.__dict__.pop("_helpline_view_counts", None)
    # Saved views' counts are cached beside these (helpline.desk.saved, which imports this):
    # both go in one statement.
    from .saved import saved_sidebar_forget

    saved_sidebar_forget(user, also=[f"desk:view-counts:v1:{user.pk}"])


def count_display(count: int | None) -> str:
    if count is None:
        return ""
    return f"{COUNT_CAP - 1}+" if count >= COUNT_CAP else str(count)


def desk_context(request, current_view: str | None = None) -> dict:
    """What the desk's sidebar needs, for any desk page that wants it in its own context."""
    user = request.user
    return {
        "desk_views": [(v.key, v.short, v.icon) for v in visible_views(user)],
        "view_counts": {k: count_display(v) for k, v in view_counts(user).items()},
        "current_view": current_view,
    }


# --- choices for the filter bar, bulk bar and new-request form ------------------------------


@dataclass(frozen=True)
class BoardChoices:
    statuses: list[Status]
    departments: list[Department]  # every active department (transfer targets)
    viewable: list[Department]  # those the user may filter by or file into
    staff: list[User]  # colleagues of the user's departments (everyone for supervisors)

    def subtree(self, department_id: int) -> frozenset[int]:
        path = next((d.path for d in self.departments if d.pk == department_id), None)
        if path is None:
            return frozenset()
        return frozenset(d.pk for d in self.departments if d.path.startswith(path))


def departments_viewable(
    user, departments: list[Department], right: str = "view"
) -> list[Department]:
    """Those of `departments` where `user` holds `right`."""
    allowed = departments_with(user, right)
    return [d for d in departments if allowed is None or d.pk in allowed]


def board_choices(user) -> BoardChoices:
    """The option lists of the board's selects: three small queries, whatever the ticket count.

    Only what the user may use (`helpline.tickets.access`): staff of their departments.
    Organisations, requesters and tags grow with the desk: the filter bar looks them up as the
    agent types (`lookup_options`), never as a list in the page.
    """
    # Statuses, departments and colleagues are reference data: kept per process, read afresh
    # after any change to them (helpline.core.reference).
    departments = [d for d in departments_all() if d.is_active]
    return BoardChoices(
        statuses=statuses_active(),
        departments=departments,
        viewable=departments_viewable(user, departments),
        staff=list(
            remembered(
                f"desk:staff-visible:{user.pk}",
                lambda: list(
                    staff_visible(user).only(
                        "id",
                        "first_name",
                        "last_name",
                        "email",
                        "role",
                        "is_active",
                        "is_superuser",
                    )
                ),
            )
        ),
    )


def requester_matches(user, text: str, limit: int = 10) -> list[User]:
    """Requesters in `user`'s directory whose name, phone or any of their addresses contain every
    word typed (a caller on the line)."""
    words = text.split()[:4]
    if not words or len(text.strip()) < 2:
        return []
    qs = requester_directory(user)
    for word in words:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
            | Q(Exists(EmailAddress.objects.filter(user_id=OuterRef("pk"), email__icontains=word)))
        )
    return list(qs.select_related("organisation").order_by("first_name", "last_name", "id")[:limit])
