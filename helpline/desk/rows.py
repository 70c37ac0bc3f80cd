"""What each board row shows, worked out in Python once per page (`Row`).

A board page has 50 rows; translating and formatting per row in the template (a `{% translate %}`
and a few `get_FOO_display` calls each, a URL reversed per row) made gettext and template nodes
most of a board page's time. Here every label is translated once per page and every row gets
plain values the row template only prints.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Role
from helpline.core import clock
from helpline.tickets.models import (
    Channel,
    Priority,
    StatusCategory,
    Ticket,
    TicketClass,
)

# Where "requester replied" is news: the request was already being worked or waited on.
TURN_CATEGORIES = (StatusCategory.OPEN, StatusCategory.PENDING, StatusCategory.ON_HOLD)
CHANNEL_ICONS: dict[str, str] = {
    Channel.EMAIL: "bi-envelope",
    Channel.PHONE: "bi-telephone",
    Channel.WIDGET: "bi-window",
    Channel.API: "bi-code-slash",
    Channel.STAFF: "bi-person-badge",
}
PRIORITY_ICONS: dict[int, str] = {
    Priority.CRITICAL: "bi-exclamation-octagon-fill",
    Priority.HIGH: "bi-arrow-up",
    Priority.NORMAL: "bi-dash",
}
# Status and priority never by colour alone: each category has its own icon too.
STATUS_ICONS: dict[str, str] = {
    StatusCategory.NEW: "bi-stars",
    StatusCategory.OPEN: "bi-circle",
    StatusCategory.PENDING: "bi-hourglass-split",
    StatusCategory.ON_HOLD: "bi-pause-circle",
    StatusCategory.RESOLVED: "bi-check-circle",
    StatusCategory.CLOSED: "bi-lock",
}


@dataclass(frozen=True)
class Stamp:
    """A moment as a row shows it: compact text, exact local date and time on hover."""

    iso: str
    exact: str
    text: str


@dataclass(frozen=True)
class Ages:
    """The compact age formats, translated once per page."""

    just_now: str
    minutes: str
    hours: str
    days: str
    now: datetime
    year: int
    dates: dict[date, str] = field(default_factory=dict)  # days already formatted

    @classmethod
    def current(cls) -> "Ages":
        now = clock.now()
        return cls(
            just_now=_("just now"),
            minutes=_("%(n)d min"),
            hours=_("%(n)d h"),
            days=_("%(n)d d"),
            now=now,
            year=timezone.localtime(now).year,
        )

    def stamp(self, value: datetime | None) -> "Stamp | None":
        if value is None:
            return None
        local = timezone.localtime(value)
        # Year-month-day and the 24-hour clock read the same in every language, and cost a
        # strftime instead of Django's per-character date formatting (two per row).
        exact = local.strftime("%Y-%m-%d %H:%M")
        return Stamp(iso=local.isoformat(timespec="seconds"), exact=exact, text=self.short(value))

    def short(self, value: datetime | None) -> str:
        """ "just now", "3 min", "5 h", "4 d", then a date."""
        if value is None:
            return ""
        seconds = (self.now - value).total_seconds()
        if seconds < 60:
            return self.just_now
        if seconds < 3600:
            return self.minutes % {"n": seconds // 60}
        if seconds < 86400:
            return self.hours % {"n": seconds // 3600}
        if seconds < 7 * 86400:
            return self.days % {"n": seconds // 86400}
        day = timezone.localtime(value).date()
        if day not in self.dates:
            self.dates[day] = date_filter(day, "j M" if day.year == self.year else "j M Y")
        return self.dates[day]


@dataclass(frozen=True, slots=True)
class Row:
    """One board row: the ticket, and what the row template prints about it."""

    ticket: Ticket
    url: str
    select: str  # the tick box's label
    status: str
    status_icon: str
    ticket_class: str
    channel: str
    channel_icon: str
    priority: str
    priority_icon: str
    line: str
    when: Stamp | None  # last activity (in the trash: when it was deleted)
    waited: Stamp | None  # since the last thing the requester could see
    requester_turn: bool  # the requester wrote last: the desk's turn to answer
    activity_differs: bool  # worth a second line under the waited time


def board_rows(tickets: list[Ticket], *, trash: bool = False) -> list[Row]:
    """The rows of a board page: every label translated once, whatever the number of rows."""
    if not tickets:
        return []
    ages = Ages.current()
    # str(): the lazy labels translated here, once, not once per row in the template.
    classes = {str(k): str(v) for k, v in TicketClass.choices}
    channels = {str(k): str(v) for k, v in Channel.choices}
    priorities = {int(k): str(v) for k, v in Priority.choices}
    url = reverse("desk:ticket", args=[0]).removesuffix("0/")
    line_format = _("L%(line)s")
    select_format = _("Select %(ref)s")
    statuses: dict[int, str] = {}
    rows = []
    for t in tickets:
        if t.status_id not in statuses:
            statuses[t.status_id] = t.status.label
        when = ages.stamp(t.deleted_at if trash else t.last_activity_at)
        waited = ages.stamp(t.last_public_activity_at)
        rows.append(
            Row(
                ticket=t,
                url=f"{url}{t.pk}/",
                select=select_format % {"ref": t.reference},
                status=statuses[t.status_id],
                status_icon=STATUS_ICONS.get(t.status_category, "bi-circle"),
                ticket_class=classes.get(t.ticket_class, t.ticket_class),
                channel=channels.get(t.channel, t.channel),
                channel_icon=CHANNEL_ICONS.get(t.channel, "bi-globe2"),
                priority=priorities.get(t.priority, ""),
                priority_icon=PRIORITY_ICONS.get(t.priority, "bi-arrow-down"),
                line=line_format % {"line": t.line},
                when=when,
                waited=waited,
                # A new request is the desk's turn by its status already.
                requester_turn=getattr(t, "last_public_role", None) == Role.REQUESTER
                and t.status_category in TURN_CATEGORIES,
                activity_differs=trash
                or (when is not None and waited is not None and when.text != waited.text),
            )
        )
    return rows
