"""Template filters for the portal: the status a requester sees."""

from django import template

from helpline.portal.selectors import portal_status

register = template.Library()


@register.filter
def requester_status(category: str) -> str:
    return portal_status(category)[0]


@register.filter
def requester_status_css(category: str) -> str:
    return portal_status(category)[1]
