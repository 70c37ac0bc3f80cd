"""Teamwork's reference data (`helpline.core.reference`): everybody's away status, shown next to
names on every desk page and changed a few times a day, and which departments have an assignment
rule; read once per generation, not per page or per new request."""

import datetime
from typing import Any

from django.db.models import Model
from django.utils import timezone

from helpline.core.reference import reference_models, remembered

from .models import AssignmentMode, AssignmentRule, Availability, StaffStatus


def _statuses() -> dict[int, tuple[str, datetime.date | None]]:
    return {
        user_id: (state, until)
        for user_id, state, until in StaffStatus.objects.exclude(
            state=Availability.PRESENT
        ).values_list("user_id", "state", "until")
    }


def absences() -> dict[int, tuple[str, datetime.date | None]]:
    """Who is away or off now: user id → (state, until), absences already over left out."""
    today = timezone.localdate()
    return {
        user_id: (state, until)
        for user_id, (state, until) in remembered("teamwork:statuses", _statuses).items()
        if until is None or until > today
    }


def availability_of(user_id: int) -> str:
    found = absences().get(user_id)
    return found[0] if found else Availability.PRESENT


def departments_with_rules() -> frozenset[int]:
    """The departments whose new arrivals a rule assigns (any mode but by hand): a request
    opened elsewhere needs no look at the rules table (`assignee_by_rule`)."""
    return remembered(
        "teamwork:rule-departments",
        lambda: frozenset(
            AssignmentRule.objects.exclude(mode=AssignmentMode.MANUAL).values_list(
                "department_id", flat=True
            )
        ),
    )


# What a rule's save changes when it only moves its round-robin cursor (every assignment it
# makes): not which departments have a rule.
_CURSOR_FIELDS = frozenset({"last_assignee", "updated_at"})


def _rule_change(rule: Model, kwargs: dict[str, Any]) -> bool:
    fields = kwargs.get("update_fields")
    return fields is None or not set(fields) <= _CURSOR_FIELDS


def connect() -> None:
    reference_models([StaffStatus])
    reference_models([AssignmentRule], when=_rule_change)
