"""What each board row shows, worked out in Python once per page (`Row`), and the rows' HTML
(`rows_html`).

A board page has 50 rows; translating and formatting per row in the template (a `{% translate %}`
and a few `get_FOO_display` calls each, a URL reversed per row) made gettext and template nodes
most of a board page's time. Here every label is translated once per page and every row gets
plain values. Printing them through the template engine still cost some thirty variable look-ups
and escapes a row, a third of a board page's time: the rows are f-strings with the markup the
template had (decision 0021 did the same for the ticket page's thread).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape as _escape

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
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
from helpline.timelog.selectors import minutes_text

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


def _esc(value) -> str:
    """Django's escape (the standard library's, which Django's wraps) for plain text."""
    return _escape(str(value))


def _time(stamp: Stamp | None, title: str = "", icon: str = "") -> str:
    """A moment's <time> element; `title` goes before the exact time (both already escaped)."""
    if stamp is None:
        iso = exact = text = ""
    else:
        iso, exact, text = _esc(stamp.iso), _esc(stamp.exact), _esc(stamp.text)
    return f'<time datetime="{iso}" title="{title}{exact}">{icon}{text}</time>'


def rows_html(rows: list[Row], *, trash: bool = False, show_time: bool = False) -> SafeString:
    """The board table's rows (`<tr>` one per line), every value escaped here as the template
    engine would; every label translated once per page with the template's message ids."""
    unassigned = _esc(_("Unassigned"))
    # The turn marker, the same for every row that has it.
    turn_title = _esc(_("The requester wrote last: your turn to answer"))
    turn = (
        f'<span class="hl-turn-marker" title="{turn_title}">'
        f'<i class="bi bi-reply-fill" aria-hidden="true"></i> {_esc(_("Requester replied"))}</span>'
    )
    activity_title = _esc(_("Last activity")) + " "
    waited_title = _esc(_("Waiting since")) + " "
    activity_icon = '<i class="bi bi-activity" aria-hidden="true"></i> '
    parts: list[str] = []
    add = parts.append
    for r in rows:
        t = r.ticket
        pk = t.pk
        requester = t.requester
        tags = "".join(
            f' <span class="badge hl-tag">{_esc(name)}</span>'
            for name in getattr(t, "tag_names", None) or ()
        )
        organisation = t.organisation
        below_requester = _esc(organisation.name if organisation else requester.email)
        assignee = t.assignee
        responsible = (
            _esc(assignee.display_name)
            if assignee
            else f'<span class="hl-muted">{unassigned}</span>'
        )
        if trash:
            when = _time(r.when)
        else:
            when = _time(r.waited, waited_title)
            if r.activity_differs:
                when += f"<small>{_time(r.when, activity_title, activity_icon)}</small>"
        subject = _esc(t.subject)
        turn_class = ' class="hl-turn"' if r.requester_turn else ""
        add(
            f'\n<tr data-hl-row id="ticket-row-{pk}"{turn_class}>'
            f'<td><input class="form-check-input" type="checkbox" name="ids" value="{pk}"'
            f' data-hl-bulk aria-label="{_esc(r.select)}"></td><td>{_esc(t.reference)}</td>'
            f'<td><a href="{_esc(r.url)}" data-hl-open title="{subject}">{subject}</a>'
            f"<small>{_esc(r.ticket_class)} · "
            f'<i class="bi {r.channel_icon}" aria-hidden="true"></i> {_esc(r.channel)}{tags}'
            "</small></td>"
            f"<td><span>{_esc(requester.display_name)}</span><small>{below_requester}</small></td>"
            f'<td><span class="badge hl-status hl-status-{_esc(t.status_category)}">'
            f'<i class="bi {r.status_icon}" aria-hidden="true"></i> {_esc(r.status)}</span>'
            f"{turn if r.requester_turn else ''}</td>"
            f'<td><span class="hl-prio-{_esc(t.priority)}"><i class="bi {r.priority_icon}"'
            f' aria-hidden="true"></i> {_esc(r.priority)}</span></td>'
            f"<td><span>{responsible}</span><small>{_esc(t.department.name)}"
            f' <span class="hl-line">{_esc(r.line)}</span></small></td>'
            f"<td>{when}</td>"
            + (
                f'<td class="text-end font-monospace" data-hl-time-total>'
                f"{_esc(minutes_text(getattr(t, 'time_total', None)))}</td>"
                if show_time
                else ""
            )
            + "</tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)
