"""Assignment rules: who gets a request that enters a department with nobody responsible.

`assignee_by_rule` is called by the tickets services (`helpline.tickets.services.arrival`) inside
the transaction that moves the request, never by a view. The department's rule row is locked
first (`SELECT … FOR UPDATE`), so requests arriving at the same moment choose one after the
other: each sees the round-robin cursor and the open-request counts the one before left behind.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from helpline.accounts.models import DepartmentMembership, Role, User
from helpline.tickets.models import OPEN_CATEGORIES, Ticket

from .models import AssignmentMode, AssignmentRule, StaffStatus
from .reference import absences, departments_with_rules


@dataclass(frozen=True)
class Choice:
    user: User
    mode: str


def _department_and_ancestors(department_id: int) -> list[int]:
    """The department and those above it: a membership in any of them gives rights in it, as
    everywhere else (`helpline.accounts.access`: rights are inherited down the tree)."""
    from helpline.accounts.reference import department_paths

    path = department_paths().get(department_id)
    if not path:
        return [department_id]
    return [int(part) for part in path.strip("/").split("/")]


def rule_candidates(department_id: int, line: int) -> list[User]:
    """Present, active staff who may view and reply in the department — members of it or of a
    department above it, the rights inherited down the tree as for every other right — with the
    request's line of support (or no line set), in id order: the round-robin's circle."""
    away = absences()
    tree = _department_and_ancestors(department_id)
    memberships = DepartmentMembership.objects.filter(department_id__in=tree)
    members = (
        User.objects.filter(
            # Each right may come from a different membership up the tree, as in access_for.
            pk__in=memberships.filter(can_view=True).values("user_id"),
            is_active=True,
            role__in=Role.STAFF,
        )
        .filter(pk__in=memberships.filter(can_reply=True).values("user_id"))
        # External providers work only what is given to them by hand.
        .exclude(role=Role.EXTERNAL)
        .filter(Q(support_line__isnull=True) | Q(support_line=line))
        .order_by("pk")
    )
    return [user for user in members if user.pk not in away]


def _skilled(candidates: list[User], ticket: Ticket) -> list[User]:
    """The candidates with a skill among the request's tags; all of them when the request has
    no tags or nobody has such a skill (a rule never leaves a request unassigned for it)."""
    tags = set(ticket.tags.values_list("name", flat=True))
    if not tags or not candidates:
        return candidates
    skills = dict(StaffStatus.objects.filter(user__in=candidates).values_list("user_id", "skills"))
    skilled = [u for u in candidates if tags & set(skills.get(u.pk) or [])]
    return skilled or candidates


def _after_cursor(candidates: list[User], cursor: int | None) -> list[User]:
    """The circle starting with the first member after the cursor."""
    if cursor is None:
        return candidates
    later = [u for u in candidates if u.pk > cursor]
    return later + [u for u in candidates if u.pk <= cursor]


def _open_counts(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(
            assignee_id__in=user_ids,
            status_category__in=OPEN_CATEGORIES,
            deleted_at__isnull=True,
        )
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def assignee_by_rule(ticket: Ticket) -> Choice | None:
    """The person the department's rule gives `ticket` to, with the cursor moved; None when the
    department assigns by hand or nobody is present. Call inside the transaction that moves it.

    A department without a rule (the reference data says so: a rule set anywhere is seen from
    the next request on) is answered without reading the rules table."""
    if ticket.department_id not in departments_with_rules():
        return None
    rule = (
        AssignmentRule.objects.select_for_update()
        .filter(department_id=ticket.department_id)
        .exclude(mode=AssignmentMode.MANUAL)
        .first()
    )
    if rule is None:
        return None
    candidates = rule_candidates(ticket.department_id, ticket.line)
    if rule.by_skills:
        candidates = _skilled(candidates, ticket)
    circle = _after_cursor(candidates, rule.last_assignee_id)
    if not circle:
        return None
    if rule.mode == AssignmentMode.LEAST_LOADED:
        counts = _open_counts([u.pk for u in circle])
        # min() keeps the first of equals: ties go round the circle, so they are spread too.
        chosen = min(circle, key=lambda u: counts.get(u.pk, 0))
    else:
        chosen = circle[0]
    rule.last_assignee = chosen
    rule.save(update_fields=["last_assignee", "updated_at"])
    return Choice(user=chosen, mode=rule.mode)
