"""Template tags for the desk layout: the sidebar's views and their counts, board helpers."""

from django import template
from django.utils.http import urlencode

from helpline.core import clock
from helpline.desk import selectors
from helpline.desk.live import POLL_SECONDS, BoardChanges, counts_known, live_url
from helpline.desk.saved import SavedSidebar, query_normalised, saved_sidebar, share_targets

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


@register.simple_tag(takes_context=True)
def desk_saved(context):
    """The agent's saved views for the sidebar (cached), and which one the board shows."""
    user = _user(context)
    if user is None or not user.is_authenticated or not user.is_agent_side:
        return SavedSidebar(), None
    sidebar = saved_sidebar(user)
    return sidebar, sidebar.current(context.get("board_query"))


@register.inclusion_tag("desk/_live.html", takes_context=True)
def board_live(context):
    """The board page's poller: its query, the moment it was rendered and its rows' ids."""
    user = _user(context)
    page = context.get("page")
    rows = [t.pk for t in page.tickets] if page is not None else []
    query = query_normalised(context.get("board_query") or {})
    opened = clock.now()
    counts = counts_known(user) if user is not None else None
    return {
        "live": {
            "url": live_url(query, opened, rows),
            "seconds": POLL_SECONDS,
            # Without the counts at hand (a list fragment) the first poll simply answers in full.
            "etag": BoardChanges(counts=counts).etag if counts is not None else "",
            "changed": [],
            "arrived": 0,
        },
        "oob": False,
    }


@register.filter
def urlencode_query(query) -> str:
    """A saved view's stored query (a dict) as a query string."""
    return urlencode(query) if isinstance(query, dict) else ""


@register.simple_tag(takes_context=True)
def desk_share_targets(context):
    """(id, name) of the departments the agent may share a view with: the board's own list of
    their departments when the page has one, else asked for."""
    form = context.get("form")
    choices = getattr(form, "choices", None)
    if choices is not None and hasattr(choices, "viewable"):
        return [(d.pk, d.name) for d in choices.viewable]
    user = _user(context)
    if user is None or not user.is_authenticated:
        return []
    return list(share_targets(user).values_list("id", "name"))
