"""One date style for the whole product: a moment as relative text with its exact time on hover.

Every page shows a moment the same way (decision 0015): "just now", "5 min ago", "3 h ago",
"4 d ago", then the date, in the viewer's language; the exact date and time (ISO 8601,
"2026-12-05 22:12"), in the viewer's time zone (`ViewerTimeZoneMiddleware`), is the hover
text. Templates use `{% moment value %}` (helpline/core/templatetags/moments.py); Python code
that prepares rows in bulk calls `moment()` with one `now` for the whole page.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from helpline.core import clock

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
# The exact moment on hover, on every page: 2026-12-05 22:12 (read the same in every language).
EXACT_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Moment:
    iso: str  # for <time datetime>
    exact: str  # the one absolute format, local
    text: str  # relative, compact


def relative(value: datetime, now: datetime) -> str:
    """ "just now", "5 min ago", "3 h ago", "4 d ago" (or "in 5 min"), then the local date."""
    seconds = (now - value).total_seconds()
    ahead = seconds < 0
    seconds = abs(seconds)
    if seconds < MINUTE:
        return _("just now")
    if seconds < HOUR:
        n = seconds // MINUTE
        return (_("in %(n)d min") if ahead else _("%(n)d min ago")) % {"n": n}
    if seconds < DAY:
        n = seconds // HOUR
        return (_("in %(n)d h") if ahead else _("%(n)d h ago")) % {"n": n}
    if seconds < WEEK:
        n = seconds // DAY
        return (_("in %(n)d d") if ahead else _("%(n)d d ago")) % {"n": n}
    day = timezone.localtime(value).date()
    return _day(get_language(), day, day.year != timezone.localtime(now).year)


@lru_cache(maxsize=1024)
def _day(language: str | None, day: date, with_year: bool) -> str:
    """A date in the viewer's language ("5 Dec", "5 Dec 2025"), formatted once per day: Django's
    per-character date formatting is most of the cost of a dense list's dates."""
    return date_filter(day, "j M Y" if with_year else "j M")


def exact(value: datetime) -> str:
    """The one absolute format: ISO 8601 date and 24-hour time, local, the same in every
    language (decision 0015)."""
    return timezone.localtime(value).strftime(EXACT_FORMAT)


def moment(value: datetime | None, *, now: datetime | None = None) -> Moment | None:
    if value is None:
        return None
    local = timezone.localtime(value)
    return Moment(
        iso=local.isoformat(timespec="seconds"),
        exact=local.strftime(EXACT_FORMAT),
        text=relative(value, now or clock.now()),
    )


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone a browser reported (the `hl_tz` cookie), or None for anything unknown."""
    if not name or len(name) > 64 or name not in _zones():
        return None
    return ZoneInfo(name)
