"""Template tags for the desk layout."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_view_counts(context):
    """Per-view ticket counts for the sidebar (filled in by the board)."""
    return context.get("view_counts") or {}
