"""Away status next to names: `{% away_badge user %}` (nothing for someone present) and
`user|availability`; both read the reference data, so a warm page asks the database nothing."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from helpline.accounts.models import User

from ..models import Availability
from ..reference import absences

register = template.Library()


@register.filter
def availability(user: User | int) -> str:
    found = absences().get(user if isinstance(user, int) else user.pk)
    return found[0] if found else Availability.PRESENT


@register.simple_tag
def away_badge(user: User | int) -> str:
    found = absences().get(user if isinstance(user, int) else user.pk)
    if not found:
        return ""
    state, until = found
    label = _("Off") if state == Availability.OFF else _("Away")
    title = _("until %(date)s") % {"date": until.isoformat()} if until else label
    return format_html(
        '<span class="badge rounded-pill hl-away hl-away-{}" title="{}">'
        '<i class="bi bi-moon" aria-hidden="true"></i> {}</span>',
        state,
        title,
        label,
    )
