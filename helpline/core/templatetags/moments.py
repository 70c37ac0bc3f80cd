"""`{% moment value %}`: the product's one way to show a date (see helpline/core/moments.py)."""

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from helpline.core import moments

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, css: str = "") -> SafeString | str:
    """<time datetime="…" title="exact local date and time">relative</time>, or "" for None."""
    shown = moments.moment(value)
    if shown is None:
        return ""
    if css:
        return format_html(
            '<time class="{}" datetime="{}" title="{}">{}</time>',
            css,
            shown.iso,
            shown.exact,
            shown.text,
        )
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', shown.iso, shown.exact, shown.text
    )
