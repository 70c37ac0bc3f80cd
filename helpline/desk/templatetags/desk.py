"""Template tags for the desk layout: the sidebar's views and their counts, board helpers."""

from django import template
from django.utils.http import urlencode

from helpline.desk import selectors

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def desk_views(context):
    """The sidebar's (key, label, icon) rows: from the page's context, else for the current user."""
    if context.get("desk_views") is not None:
        return context["desk_views"]
    user = _user(context)
    if user is None or not user.is_authenticated:
        return []
    return [(v.key, v.short, v.icon) for v in selectors.visible_views(user)]


@register.simple_tag(takes_context=True)
def desk_view_counts(context):
    """Per-view counts as display strings ("12", "999+"), so every desk page can show them."""
    if context.get("view_counts") is not None:
        return context["view_counts"]
    user = _user(context)
    if user is None or not user.is_authenticated or not user.is_agent_side:
        return {}
    return {k: selectors.count_display(v) for k, v in selectors.view_counts(user).items()}


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag(takes_context=True)
def board_url(context, **changes):
    """The board's URL with the current query string changed: `{% board_url after=cursor %}`.

    A value of None removes the parameter; a new page cursor drops the opposite one.
    """
    params = dict(context.get("board_query") or {})
    if "after" in changes or "before" in changes:
        params.pop("after", None)
        params.pop("before", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(params)
    return f"{context['board_path']}?{query}" if query else context["board_path"]
