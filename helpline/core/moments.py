"""One date style for the whole product: a moment as relative text with its exact time on hover.

Every page shows a moment the same way (decision 0009): "just now", "5 min ago", "3 h ago",
"4 d ago", then the date; the exact date and time in the locale's `DATETIME_FORMAT`, in the
viewer's time zone (`ViewerTimeZoneMiddleware`) and language, is the hover text. Templates use
`{% moment value %}` (helpline/core/templatetags/moments.py); Python code that prepares rows in
bulk calls `moment()` with one `now` for the whole page.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from helpline.core import clock

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY


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
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return date_format(local, "MONTH_DAY_FORMAT")
    return date_format(local, "DATE_FORMAT")


def exact(value: datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def moment(value: datetime | None, *, now: datetime | None = None) -> Moment | None:
    if value is None:
        return None
    return Moment(
        iso=value.isoformat(), exact=exact(value), text=relative(value, now or clock.now())
    )


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone a browser reported (the `hl_tz` cookie), or None for anything unknown."""
    if not name or len(name) > 64 or name not in _zones():
        return None
    return ZoneInfo(name)
