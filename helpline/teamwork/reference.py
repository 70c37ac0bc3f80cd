"""Everybody's away status as reference data (`helpline.core.reference`): shown next to names on
every desk page, changed a few times a day, so read once per generation, not per page."""

import datetime

from django.utils import timezone

from helpline.core.reference import reference_models, remembered

from .models import Availability, StaffStatus


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


def connect() -> None:
    reference_models([StaffStatus])
