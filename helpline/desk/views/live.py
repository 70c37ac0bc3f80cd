"""The live board's poll: 304 when nothing changed, else the page's notice and fresh counts;
and the sidebar alone, which a page fetches after its own change (`hl-sidebar-stale`)."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from helpline.core.decorators import staff_required

from ..live import POLL_SECONDS, board_changes, live_url, opened_parse, rows_parse
from ..saved import query_normalised


def _cache_headers(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    # Always asked again, never stored by a shared cache: it is one agent's view of the desk.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response


@staff_required
@require_GET
def board_live(request):
    """`?<board query>&opened=<ms>&rows=<ids>`: the rows of that page changed since it opened,
    how many of the view's requests moved since, and the sidebar if its counts changed."""
    opened = opened_parse(request.GET.get("opened"))
    if opened is None:
        return HttpResponseBadRequest("opened")
    query = query_normalised(request.GET)
    rows = rows_parse(request.GET.get("rows"))
    changes = board_changes(request.user, query, opened, rows)
    if request.headers.get("If-None-Match") == changes.etag:
        return _cache_headers(HttpResponse(status=304), changes.etag)
    context = {
        "live": {
            "url": live_url(query, opened, rows),
            "seconds": POLL_SECONDS,
            "etag": changes.etag,
            "changed": changes.changed_ids,
            "arrived": changes.arrived,
            "refresh": f"{reverse('desk:board')}?{urlencode(query)}",
        },
        "oob": True,
        "board_query": query,
        "current_view": query["view"],
    }
    return _cache_headers(render(request, "desk/_live.html#answer", context), changes.etag)


@staff_required
@require_GET
def sidebar(request):
    """The sidebar's views and counts, out of band. A change's answer does not recount them
    itself (that was a fifth of a reply's time): it forgets the agent's cached counts and
    triggers `hl-sidebar-stale`, on which the sidebar fetches itself here."""
    response = render(request, "desk/_sidebar.html", {"oob": True})
    patch_vary_headers(response, ("HX-Request",))
    return response
