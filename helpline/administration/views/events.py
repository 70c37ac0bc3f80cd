"""The event log browser: read-only, filtered, keyset-paged (no URL here accepts a POST)."""

from django.http import QueryDict
from django.views.decorators.http import require_GET

from helpline.audit.selectors import EventFilters, EventPage, event_page
from helpline.core.decorators import admin_required

from ..forms import EventFilterForm
from .base import page


def _link(filters: QueryDict, **cursor: str) -> str:
    query = filters.copy()
    for key in ("older", "newer"):
        query.pop(key, None)
    for key, value in cursor.items():
        query[key] = value
    return "?" + query.urlencode()


@admin_required
@require_GET
def event_log(request):
    form = EventFilterForm(request.GET or None)
    filters = EventFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = EventFilters(
            actor_id=data["actor"].pk if data["actor"] else None,
            action=data["action"],
            object_type=data["object_type"],
            object_id=data["object_id"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    if form.is_bound and not form.is_valid():
        # Showing every event under a filter the reader believes applied would mislead.
        result = EventPage(events=[])
    else:
        result = event_page(
            filters,
            older_than=request.GET.get("older") or None,
            newer_than=request.GET.get("newer") or None,
        )
    filtered = any(request.GET.get(key) for key in form.fields)
    return page(
        request,
        "administration/events.html",
        {
            "form": form,
            "result": result,
            "filtered": filtered,
            "older_url": _link(request.GET, older=result.older) if result.older else None,
            "newer_url": _link(request.GET, newer=result.newer) if result.newer else None,
            "newest_url": _link(request.GET)
            if "older" in request.GET or "newer" in request.GET
            else None,
        },
        menu="events",
        fragment="results",
    )
