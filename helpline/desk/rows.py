"""What each board row shows, worked out in Python once per page.

A board page has 50 rows; translating and formatting per row in the template (a `{% translate %}`
and a few `get_FOO_display` calls each, a URL reversed per row) made gettext and template nodes
most of a board page's time. Here every label is translated once per page and every row gets
plain attributes the row template only prints.
"""

from dataclasses import dataclass
from datetime import datetime

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
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
CHANNEL_ICONS = {
    Channel.EMAIL: "bi-envelope",
    Channel.PHONE: "bi-telephone",
    Channel.WIDGET: "bi-window",
    Channel.API: "bi-code-slash",
    Channel.STAFF: "bi-person-badge",
}
PRIORITY_ICONS = {
    Priority.CRITICAL: "bi-exclamation-octagon-fill",
    Priority.HIGH: "bi-arrow-up",
    Priority.NORMAL: "bi-dash",
}
# Status and priority never by colour alone: each category has its own icon too.
STATUS_ICONS = {
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
        exact = date_format(local, "DATETIME_FORMAT")
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
        local = timezone.localtime(value)
        return date_filter(local, "j M" if local.year == self.year else "j M Y")


def board_rows(tickets: list[Ticket], *, trash: bool = False) -> list[Ticket]:
    """Give each ticket of a board page the display attributes of its row (`row_*`)."""
    if not tickets:
        return tickets
    ages = Ages.current()
    classes = dict(TicketClass.choices)
    channels = dict(Channel.choices)
    priorities = dict(Priority.choices)
    url = reverse("desk:ticket", args=[0]).removesuffix("0/")
    line_format = _("L%(line)s")
    select_format = _("Select %(ref)s")
    statuses: dict[int, str] = {}
    for t in tickets:
        t.row_url = f"{url}{t.pk}/"
        t.row_select = select_format % {"ref": t.reference}
        if t.status_id not in statuses:
            statuses[t.status_id] = t.status.label
        t.row_status = statuses[t.status_id]
        t.row_class = classes.get(t.ticket_class, t.ticket_class)
        t.row_channel = channels.get(t.channel, t.channel)
        t.row_channel_icon = CHANNEL_ICONS.get(t.channel, "bi-globe2")
        t.row_priority = priorities.get(t.priority, "")
        t.row_priority_icon = PRIORITY_ICONS.get(t.priority, "bi-arrow-down")
        t.row_status_icon = STATUS_ICONS.get(t.status_category, "bi-circle")
        t.row_line = line_format % {"line": t.line}
        when = t.deleted_at if trash else t.last_activity_at
        t.row_when = ages.stamp(when)
        # How long the request has waited: since the last thing its requester could see.
        t.row_waited = ages.stamp(t.last_public_activity_at)
        # The requester spoke last on an open request: the desk's turn to answer.
        # (A new request is the desk's turn by its status already.)
        t.row_requester_turn = (
            getattr(t, "last_public_role", None) == Role.REQUESTER
            and t.status_category in TURN_CATEGORIES
        )
        t.row_activity_differs = trash or t.row_when.text != t.row_waited.text
    return tickets
