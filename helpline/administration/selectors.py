"""Reads for the administrators' pages, each shaped so its template never queries."""

from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from helpline.accounts.models import Department, DepartmentMembership, Organisation, Role, User
from helpline.tickets.models import (
    OPEN_CATEGORIES,
    Level,
    PriorityRule,
    Status,
    StatusCategory,
    Ticket,
    Topic,
)

REQUESTER_PAGE_SIZE = 50


def overview_counts() -> dict:
    """Headline numbers for the overview (five small queries, no joins)."""
    by_role = dict(
        User.objects.filter(role__in=Role.STAFF, is_active=True)
        .values_list("role")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "departments": Department.objects.filter(is_active=True).count(),
        "staff_by_role": [
            (label, by_role.get(value, 0)) for value, label in Role.choices if value in Role.STAFF
        ],
        "staff": sum(by_role.values()),
        "requesters": User.objects.filter(role=Role.REQUESTER).count(),
        "organisations": Organisation.objects.filter(is_active=True).count(),
        "open_tickets": Ticket.objects.filter(
            deleted_at__isnull=True, status_category__in=OPEN_CATEGORIES
        ).count(),
    }


def _count_of(queryset: QuerySet, field: str):
    """A correlated COUNT subquery, so several counts never multiply each other's joins."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def department_tree() -> list[Department]:
    """Every department in tree order (siblings by name), with its member count; one query."""
    departments = list(
        Department.objects.annotate(member_count=Count("memberships")).order_by("path")
    )
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)
    ordered: list[Department] = []

    def walk(parent_id: int | None) -> None:
        for child in sorted(children.get(parent_id, []), key=lambda d: d.name.casefold()):
            ordered.append(child)
            walk(child.pk)

    walk(None)
    return ordered


def department_parent_choices(department: Department | None = None) -> list[tuple[str, str]]:
    """Parent options drawn as an indented tree, leaving out the department's own subtree."""
    choices = [("", "—")]
    for candidate in department_tree():
        if department is not None and department.pk and candidate.path.startswith(department.path):
            continue
        label = "\u2003" * candidate.depth + candidate.name
        if not candidate.is_active:
            label += " ✕"
        choices.append((str(candidate.pk), label))
    return choices


def department_members(department: Department) -> list[DepartmentMembership]:
    return list(
        department.memberships.select_related("user").order_by(
            "user__first_name", "user__last_name", "user__email"
        )
    )


def staff_candidates(department: Department) -> QuerySet[User]:
    """Active staff who are not yet members of `department`."""
    return (
        User.objects.filter(role__in=Role.STAFF, is_active=True)
        .exclude(memberships__department=department)
        .order_by("first_name", "last_name", "email")
    )


def staff_list(*, q: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    """Staff with their departments prefetched (two queries whatever the number of rows)."""
    qs = User.objects.filter(role__in=Role.STAFF)
    if role in Role.STAFF:
        qs = qs.filter(role=role)
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    if q:
        qs = qs.filter(
            Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )
    return qs.prefetch_related(
        Prefetch(
            "memberships",
            queryset=DepartmentMembership.objects.select_related("department").order_by(
                "department__path"
            ),
        )
    ).order_by("first_name", "last_name", "email")


def staff_memberships(user: User) -> dict[int, DepartmentMembership]:
    return {m.department_id: m for m in DepartmentMembership.objects.filter(user=user)}


def organisation_list(*, q: str = "") -> QuerySet[Organisation]:
    qs = Organisation.objects.annotate(
        member_count=_count_of(User.objects.all(), "organisation"),
        ticket_count=_count_of(Ticket.objects.all(), "organisation"),
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q))
    return qs.order_by("name")


@dataclass
class RequesterPage:
    requesters: list[User]
    next_after: str | None


def requester_page(*, q: str = "", after: str = "", size: int = REQUESTER_PAGE_SIZE):
    """Requesters by email address, one keyset page at a time (LIMIT size+1, no COUNT)."""
    qs = User.objects.filter(role=Role.REQUESTER).select_related("organisation")
    if q:
        qs = qs.filter(
            Q(email__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(phone__icontains=q)
            | Q(organisation__name__icontains=q)
        )
    if after:
        qs = qs.filter(email__gt=after)
    qs = qs.annotate(ticket_count=_count_of(Ticket.objects.all(), "requester"))
    rows = list(qs.order_by("email")[: size + 1])
    return RequesterPage(
        requesters=rows[:size], next_after=rows[size - 1].email if len(rows) > size else None
    )


def status_groups() -> list[tuple[str, str, list[Status]]]:
    """Statuses grouped by lifecycle category in lifecycle order, each marked if in use."""
    statuses = list(
        Status.objects.annotate(in_use=Exists(Ticket.objects.filter(status=OuterRef("pk"))))
    )
    return [
        (value, label, [s for s in statuses if s.category == value])
        for value, label in StatusCategory.choices
    ]


def priority_matrix() -> dict[tuple[int, int], int]:
    return {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()}


def matrix_rows() -> list[tuple[int, str]]:
    """Impact levels from high to low, as the matrix is usually drawn."""
    return sorted(Level.choices, reverse=True)


def topic_list() -> QuerySet[Topic]:
    return Topic.objects.select_related("department").order_by("order", "name")
