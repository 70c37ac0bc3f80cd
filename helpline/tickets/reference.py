"""The tickets domain's reference data (`helpline.core.reference`): statuses, the priority
matrix, topics, and a ticket's own status, department and topic taken from them. Kept per
process, read afresh after any change to them."""

from typing import Any, cast

from django.db import models

from helpline.accounts.reference import departments_all
from helpline.core.reference import reference_models, remembered

from .models import PriorityRule, Status, Ticket, Topic


def statuses_all() -> list[Status]:
    """Every status, active or not, in their order."""
    return list(
        remembered("tickets:statuses", lambda: list(Status.objects.order_by("order", "name")))
    )


def statuses_active() -> list[Status]:
    return [s for s in statuses_all() if s.is_active]


def topics_all() -> list[Topic]:
    """Every topic, active or not, in their order."""
    return list(remembered("tickets:topics", lambda: list(Topic.objects.order_by("order", "name"))))


def reference_attach(ticket: Ticket) -> Ticket:
    """Give `ticket` its status, department and topic from the reference data (kept per
    process, shared: never changed through the ticket). One not found there (none should be)
    is left to Django to read."""
    for name, rows in (
        ("status", statuses_all),
        ("department", departments_all),
        ("topic", topics_all),
    ):
        field = cast("models.ForeignKey[Any, Any]", Ticket._meta.get_field(name))
        value = getattr(ticket, field.attname)
        if value is None:
            field.set_cached_value(ticket, None)
            continue
        found = next((row for row in rows() if row.pk == value), None)
        if found is not None:
            field.set_cached_value(ticket, found)
    return ticket


def priority_matrix() -> dict[tuple[int, int], int]:
    return dict(
        remembered(
            "tickets:priority-matrix",
            lambda: {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()},
        )
    )


def connect() -> None:
    reference_models([Status, PriorityRule, Topic])
