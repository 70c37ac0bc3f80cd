"""Away status per staff member and the assignment rule per department."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Department
from helpline.core.models import TimestampedModel


class Availability(models.TextChoices):
    PRESENT = "present", _("Present")
    AWAY = "away", _("Away")
    OFF = "off", _("Off")


class StaffStatus(TimestampedModel):
    """Whether a staff member is present, away or off, set by themself. `until` (a date) ends an
    absence: from that day on they are present again without touching anything. No row: present."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="staff_status",
    )
    state = models.CharField(
        _("status"), max_length=10, choices=Availability.choices, default=Availability.PRESENT
    )
    until = models.DateField(_("until"), null=True, blank=True)
    # Tag names (lower case) this person is good at: rules "by skill" prefer them for requests
    # carrying one of these tags.
    skills = models.JSONField(_("skills"), default=list, blank=True)

    class Meta:
        verbose_name = _("staff status")
        verbose_name_plural = _("staff statuses")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.state}"

    def effective(self, today: datetime.date) -> str:
        """The state on `today`: an absence whose end date has come is over."""
        if self.state != Availability.PRESENT and self.until is not None and self.until <= today:
            return Availability.PRESENT
        return self.state


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class AssignmentRule(TimestampedModel):
    """How a request that enters the department with nobody responsible gets someone.

    The row is also the lock arrivals queue on (`select_for_update`), and holds the round-robin
    cursor: the last person the rule chose."""

    department = models.OneToOneField(
        Department, primary_key=True, on_delete=models.CASCADE, related_name="assignment_rule"
    )
    mode = models.CharField(
        _("assignment"),
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.MANUAL,
    )
    by_skills = models.BooleanField(
        _("prefer skills"),
        default=False,
        help_text=_(
            "For a request with tags, choose among the members whose skills include one of "
            "them (everyone when nobody has)."
        ),
    )
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return f"{self.department_id}: {self.mode}"
