"""Writes for working together: one's own away status, a department's assignment rule."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Department, User
from helpline.audit.services import event_record
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.tickets.models import Tag

from .models import AssignmentMode, AssignmentRule, Availability, StaffStatus

SKILL_LENGTH: int = Tag._meta.get_field("name").max_length or 50


@transaction.atomic
def staff_status_set(
    *,
    actor: User,
    state: str,
    until: datetime.date | None = None,
    skills: list[str] | None = None,
) -> StaffStatus:
    """Set the acting staff member's own status: present, away or off (until a date, after which
    they are present again), and their skills (tag names; None keeps them). Only staff have
    one; nobody sets another person's."""
    if not (actor.is_authenticated and actor.is_active and actor.is_agent_side):
        raise PermissionDenied(_("Only staff have an away status."))
    if state not in Availability.values:
        raise ValidationFailed(_("Choose present, away or off."), field="state")
    if state == Availability.PRESENT:
        until = None
    elif until is not None and until <= timezone.localdate():
        raise ValidationFailed(_("The end date must be in the future."), field="until")
    status, _created = StaffStatus.objects.select_for_update().get_or_create(user=actor)
    if skills is not None:
        skills = sorted({name.strip().lower() for name in skills if name.strip()})
        too_long = [name for name in skills if len(name) > SKILL_LENGTH]
        if too_long:
            raise ValidationFailed(
                _("A skill can be at most %(limit)s characters long: “%(skill)s”.")
                % {"limit": SKILL_LENGTH, "skill": too_long[0]},
                field="skills",
            )
    before = [status.state, status.until.isoformat() if status.until else None, status.skills]
    status.state, status.until = state, until
    if skills is not None:
        status.skills = skills
    status.save()
    after = [state, until.isoformat() if until else None, status.skills]
    if before != after or _created:
        event_record(
            actor=actor, action="staff.status_set", obj=actor, changes={"status": [before, after]}
        )
    return status


@transaction.atomic
def assignment_rule_set(
    *, actor: User, department: Department, mode: str, by_skills: bool = False
) -> AssignmentRule:
    """Choose how the department's new arrivals are assigned (administrators only)."""
    if not (actor.is_authenticated and actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only administrators choose assignment rules."))
    if mode not in AssignmentMode.values:
        raise ValidationFailed(_("Unknown assignment rule."), field="mode")
    rule, _created = AssignmentRule.objects.select_for_update().get_or_create(department=department)
    before = (rule.mode, rule.by_skills)
    if before != (mode, by_skills) or _created:
        rule.mode, rule.by_skills = mode, by_skills
        rule.save(update_fields=["mode", "by_skills", "updated_at"])
        event_record(
            actor=actor,
            action="department.assignment_set",
            obj=department,
            changes={"mode": [before[0], mode], "by_skills": [before[1], by_skills]},
        )
    return rule
