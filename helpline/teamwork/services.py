"""Writes for working together: one's own away status, a department's assignment rule."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Department, User
from helpline.audit.services import event_record
from helpline.core.errors import PermissionDenied, ValidationFailed

from .models import AssignmentMode, AssignmentRule, Availability, StaffStatus


@transaction.atomic
def staff_status_set(*, actor: User, state: str, until: datetime.date | None = None) -> StaffStatus:
    """Set the acting staff member's own status: present, away or off (until a date, after which
    they are present again). Only staff have one; nobody sets another person's."""
    if not (actor.is_authenticated and actor.is_active and actor.is_agent_side):
        raise PermissionDenied(_("Only staff have an away status."))
    if state not in Availability.values:
        raise ValidationFailed(_("Choose present, away or off."), field="state")
    if state == Availability.PRESENT:
        until = None
    elif until is not None and until <= timezone.localdate():
        raise ValidationFailed(_("The end date must be in the future."), field="until")
    status, _created = StaffStatus.objects.select_for_update().get_or_create(user=actor)
    before = [status.state, status.until.isoformat() if status.until else None]
    status.state, status.until = state, until
    status.save()
    after = [state, until.isoformat() if until else None]
    if before != after or _created:
        event_record(
            actor=actor, action="staff.status_set", obj=actor, changes={"status": [before, after]}
        )
    return status


@transaction.atomic
def assignment_rule_set(*, actor: User, department: Department, mode: str) -> AssignmentRule:
    """Choose how the department's new arrivals are assigned (administrators only)."""
    if not (actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators choose assignment rules."))
    if mode not in AssignmentMode.values:
        raise ValidationFailed(_("Unknown assignment rule."), field="mode")
    rule, _created = AssignmentRule.objects.select_for_update().get_or_create(department=department)
    before = rule.mode
    if before != mode or _created:
        rule.mode = mode
        rule.save(update_fields=["mode", "updated_at"])
        event_record(
            actor=actor,
            action="department.assignment_set",
            obj=department,
            changes={"mode": [before, mode]},
        )
    return rule
