"""Reads for saved views: which an agent sees, in their order, with capped counts (cached)."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import JSONField, Q, QuerySet, Subquery
from django.utils.http import urlencode

from helpline.accounts.models import Department, DepartmentMembership, User
from helpline.tickets.access import departments_with
from helpline.tickets.models import Ticket

from .models import SavedView, SidebarOrder
from .selectors import (
    BOARD_VIEWS,
    COUNT_CACHE_SECONDS,
    DEFAULT_VIEW,
    SAVED_GENERATION_KEY,
    SAVED_SIDEBAR_KEY,
    SORTS,
    BoardFilters,
    _capped_counts,
    count_display,
    filter_tickets,
    view_allowed,
    view_tickets,
)

# The board's parameters a saved view keeps: its view, filters, sort and order (never a page).
SAVED_PARAMS = (
    "view",
    "status",
    "ticket_class",
    "priority",
    "department",
    "responsible",
    "channel",
    "organisation",
    "requester",
    "tag",
    "q",
    "sort",
    "dir",
)
VALUE_MAX = 200
# Bumped after any saved view changes (anyone's, in any process): every cached sidebar built
# before it is rebuilt on its next read, so a view shared a moment ago shows on the next page.
GENERATION_KEY = SAVED_GENERATION_KEY


def sidebar_cache_key(user_pk: int) -> str:
    return SAVED_SIDEBAR_KEY % user_pk


def query_normalised(raw: Mapping[str, Any]) -> dict[str, str]:
    """The board parameters of `raw` that a saved view keeps, without defaults or blanks.

    Two URLs that show the same board give the same dict: a saved view is recognised as the
    current one whatever order or defaults the address bar carries.
    """
    query: dict[str, str] = {}
    for key in SAVED_PARAMS:
        value = raw.get(key)
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        value = str(value or "").strip()[:VALUE_MAX]
        if value:
            query[key] = value
    if query.get("view") not in BOARD_VIEWS:
        query["view"] = DEFAULT_VIEW
    default_sort = "deleted" if query["view"] == "trash" else "activity"
    if query.get("sort") not in SORTS or query.get("sort") == default_sort:
        query.pop("sort", None)
    if query.get("dir") != "asc":
        query.pop("dir", None)
    return query


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def query_tickets(user: User, query: Mapping[str, str]) -> QuerySet[Ticket]:
    """The tickets a saved view shows `user`: their own access, the view's filters.

    Read leniently, like the board's form: what does not parse is left out. A department means
    its subtree, found by the database (a subquery on the path) so counting many views stays one
    statement.
    """
    view = query.get("view") or DEFAULT_VIEW
    if not view_allowed(user, view):
        view = DEFAULT_VIEW
    responsible = query.get("responsible", "")
    if responsible not in ("me", "none") and _number(responsible) is None:
        responsible = ""
    filters = BoardFilters(
        status=_number(query.get("status")),
        ticket_class=query.get("ticket_class", ""),
        priority=_number(query.get("priority")),
        responsible=responsible,
        channel=query.get("channel", ""),
        organisation=_number(query.get("organisation")),
        requester=_number(query.get("requester")),
        tag=_number(query.get("tag")),
        text=query.get("q", "").strip(),
    )
    qs = filter_tickets(view_tickets(user, view), filters, user)
    department = _number(query.get("department"))
    if department is not None:
        path = Department.objects.filter(pk=department, is_active=True).values("path")[:1]
        qs = qs.filter(department__path__startswith=Subquery(path))
    return qs


def _memberships(user: User) -> QuerySet[DepartmentMembership]:
    return DepartmentMembership.objects.filter(user_id=user.pk)


def saved_views_visible(user: User) -> QuerySet[SavedView]:
    """The agent's own views and those shared with a department they are a member of."""
    if not (user.is_authenticated and user.is_active and user.is_agent_side):
        return SavedView.objects.none()
    shared = Q(
        department_id__in=_memberships(user).values("department_id"),
        department__is_active=True,
    )
    return SavedView.objects.filter(Q(owner_id=user.pk) | shared)


def share_targets(user: User) -> QuerySet[Department]:
    """Departments `user` may share a view with: those they work in (rights reach down the
    tree, `helpline.tickets.access`); any for supervisors and administrators."""
    departments = Department.objects.filter(is_active=True).order_by("path")
    allowed = departments_with(user, "view")
    return departments if allowed is None else departments.filter(pk__in=allowed)


def in_sidebar_order(views: Sequence[SavedView], order: list[int]) -> list[SavedView]:
    """`views` as the agent ordered them; those they never placed follow, oldest first."""
    position = {pk: i for i, pk in enumerate(order) if isinstance(pk, int)}
    return sorted(views, key=lambda v: (position.get(v.pk, len(position)), v.created_at, v.pk))


@dataclass(frozen=True)
class SidebarView:
    """One saved view as the sidebar shows it (plain values: it is cached)."""

    pk: int
    name: str
    query: tuple[tuple[str, str], ...]  # normalised, sorted: compared with the current board's
    mine: bool
    owner: str
    department: str  # the name of the department it is shared with, or ""
    department_id: int | None
    count: str  # capped, for display ("12", "999+"); "" when the view is not counted

    @property
    def href_query(self) -> str:
        return urlencode(self.query)


@dataclass(frozen=True)
class SavedSidebar:
    views: list[SidebarView] = field(default_factory=list)

    def current(self, board_query: Mapping[str, Any] | None) -> int | None:
        """The saved view the board shows now, if it shows one."""
        if not board_query:
            return None
        wanted = tuple(sorted(query_normalised(board_query).items()))
        return next((v.pk for v in self.views if v.query == wanted), None)


def saved_views_ordered(user: User) -> list[SavedView]:
    """The views `user` sees, in their sidebar's order: one query (the order rides along)."""
    order = SidebarOrder.objects.filter(user_id=user.pk).values("view_ids")[:1]
    views = list(
        saved_views_visible(user)
        .select_related("owner", "department")
        .annotate(sidebar_order=Subquery(order, output_field=JSONField()))
    )
    placed = getattr(views[0], "sidebar_order", None) if views else None
    return in_sidebar_order(views, placed if isinstance(placed, list) else [])


def _sidebar_build(user: User) -> SavedSidebar:
    views = saved_views_ordered(user)
    counts = _capped_counts({str(v.pk): query_tickets(user, v.query) for v in views})
    return SavedSidebar(
        views=[
            SidebarView(
                pk=v.pk,
                name=v.name,
                query=tuple(sorted(query_normalised(v.query).items())),
                mine=v.owner_id == user.pk,
                owner=v.owner.display_name,
                department=v.department.name if v.department_id and v.department else "",
                department_id=v.department_id,
                count=count_display(counts.get(str(v.pk))),
            )
            for v in views
        ],
    )


def saved_sidebar(user: User) -> SavedSidebar:
    """The agent's saved views with their counts.

    Cached per agent for as long as the other sidebar counts (half a minute), and rebuilt as
    soon as any saved view changes anywhere (the generation key). A warm page reads both keys
    in the built-in counts' cache round trip; a cold one asks the database two small questions.
    """
    if not (user.is_authenticated and user.is_agent_side):
        return SavedSidebar()
    memo = getattr(user, "_helpline_saved_sidebar", None)
    if memo is not None:
        return memo
    key = sidebar_cache_key(user.pk)
    # Read with the built-in counts when they were read first (every desk page's sidebar).
    found = getattr(user, "_helpline_saved_prefetched", None)
    if found is None:
        found = cache.get_many([key, GENERATION_KEY])
    generation = found.get(GENERATION_KEY)
    cached = found.get(key)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == generation:
        sidebar = cached[1]
    else:
        sidebar = _sidebar_build(user)
        cache.set(key, (generation, sidebar), COUNT_CACHE_SECONDS)
    user._helpline_saved_sidebar = sidebar  # type: ignore[attr-defined]
    return sidebar


def saved_sidebar_forget(user: User, *, also: Sequence[str] = ()) -> None:
    """Drop `user`'s cached saved views and counts (after their own change to tickets), and the
    cache keys `also` in the same statement (each is a write on the database cache)."""
    cache.delete_many([sidebar_cache_key(user.pk), *also])
    user.__dict__.pop("_helpline_saved_sidebar", None)
    user.__dict__.pop("_helpline_saved_prefetched", None)


def saved_views_changed() -> None:
    """Every agent's cached saved views are out of date (one changed, moved or went)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
