"""Time accounting: activity types, time entries on requests, and each person's running timers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpline.core import clock
from helpline.core.models import TimestampedModel
from helpline.tickets.models import Ticket

# A day's work is the longest single entry: a typo of 6000 minutes is refused, not summed.
MAX_MINUTES = 24 * 60


def today():
    """The desk's local date now (the clock may be replaying a moment)."""
    return timezone.localdate(clock.now())


class ActivityType(TimestampedModel):
    """What the time was spent on (administrators keep the list)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    billable_default = models.BooleanField(
        _("billable by default"),
        default=False,
        help_text=_("New entries of this type start as billable."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name


class TimeEntry(TimestampedModel):
    """Minutes one person worked on one request on one day."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    activity = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    minutes = models.PositiveIntegerField(_("minutes"))
    date = models.DateField(_("date"), default=today)
    billable = models.BooleanField(_("billable"), default=False)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0) & Q(minutes__lte=MAX_MINUTES),
                name="time_entry_minutes_range",
            )
        ]
        indexes = [
            # The ticket page's list and the board's per-ticket total.
            models.Index(fields=["ticket", "minutes"], name="time_entry_ticket"),
            # Statistics and exports by person and period.
            models.Index(fields=["author", "date"], name="time_entry_author_date"),
            models.Index(fields=["date"], name="time_entry_date"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on #{self.ticket_id}"


class RunningTimer(models.Model):
    """A started stopwatch: kept on the server so it survives reloads and other devices; at most
    one per person and request."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="running_timers"
    )
    started_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "ticket"], name="running_timer_unique")
        ]
