"""Template filters for time accounting: durations and calendar days."""

import datetime

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from helpline.timelog.selectors import minutes_text

register = template.Library()


@register.filter
def duration(minutes: int | None) -> str:
    """Minutes as hours:minutes (`90` → `1:30`)."""
    return minutes_text(minutes)


@register.simple_tag
def day(value: datetime.date | None) -> SafeString | str:
    """A calendar day in the reader's format, in a <time> element."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "SHORT_DATE_FORMAT")
    )


@register.filter
def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal (a median response time), or a dash."""
    if seconds is None:
        return "—"
    return f"{seconds / 3600:.1f}"
