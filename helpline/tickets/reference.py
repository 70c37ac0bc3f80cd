"""The tickets domain's reference data (`helpline.core.reference`): statuses, the priority
matrix, topics. Kept per process, read afresh after any change to them."""

from helpline.core.reference import reference_models, remembered

from .models import PriorityRule, Status, Topic


def statuses_all() -> list[Status]:
    """Every status, active or not, in their order."""
    return list(
        remembered("tickets:statuses", lambda: list(Status.objects.order_by("order", "name")))
    )


def statuses_active() -> list[Status]:
    return [s for s in statuses_all() if s.is_active]


def priority_matrix() -> dict[tuple[int, int], int]:
    return dict(
        remembered(
            "tickets:priority-matrix",
            lambda: {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()},
        )
    )


def connect() -> None:
    reference_models([Status, PriorityRule, Topic])
