"""The live board: the poll answers 304 while nothing changed, then names the changed rows."""

import re
import uuid
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from helpline.core.models import SiteSettings
from helpline.desk.live import opened_token
from helpline.tickets import services
from helpline.tickets.models import Priority
from helpline.tickets.tests.factories import TicketFactory

BOARD = reverse("desk:board")
LIVE = reverse("desk:board_live")


@pytest.fixture(autouse=True)
def locmem_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


def earlier(**kwargs):
    return TicketFactory(last_activity_at=timezone.now() - timedelta(minutes=5), **kwargs)


def found(pattern: str, html: str) -> str:
    match = re.search(pattern, html)
    assert match is not None, pattern
    return unescape(match.group(1))


def poller(html: str) -> tuple[str, str]:
    """The poll URL and the ETag a board page starts from."""
    url = found(r'id="board-live"[^>]*hx-get="([^"]+)"', html)
    return url, found(r'data-hl-etag="([^"]*)"', html)


def changed_ids(html: str) -> set[int]:
    return {int(x) for x in found(r'data-hl-changed="([^"]*)"', html).split()}


def test_nothing_changed_is_a_304_then_a_colleagues_change_is_named(client, dispatcher, support):
    mine, other = earlier(department=support), earlier(department=support)
    client.force_login(dispatcher)
    url, etag = poller(client.get(BOARD, {"view": "open"}).content.decode())
    assert parse_qs(urlsplit(url).query)["rows"] == [f"{other.pk},{mine.pk}"]

    # Nothing changed: the page's own ETag is current, the answer has no body.
    quiet = client.get(url, HTTP_IF_NONE_MATCH=etag, HTTP_HX_REQUEST="true")
    assert quiet.status_code == 304 and quiet.content == b""
    assert quiet["ETag"] == etag and "no-cache" in quiet["Cache-Control"]

    # When another agent changes one of the rows
    services.ticket_update(ticket=other, actor=dispatcher, priority=Priority.CRITICAL)

    # Then the next poll names it, with a new ETag, and the notice offers a refresh
    answer = client.get(url, HTTP_IF_NONE_MATCH=etag, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200 and answer["ETag"] != etag
    assert changed_ids(html) == {other.pk}
    assert "1 request on this page changed since you opened it." in html
    # And the poll after that, with the new ETag, is quiet again.
    assert client.get(url, HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304


def test_new_activity_in_the_view_outside_the_page_is_counted(client, dispatcher, support):
    earlier(department=support)
    client.force_login(dispatcher)
    url, etag = poller(client.get(BOARD, {"view": "open"}).content.decode())
    TicketFactory(department=support)  # a new request arrives
    TicketFactory(department=support, priority=Priority.LOW)
    html = client.get(url, HTTP_IF_NONE_MATCH=etag).content.decode()
    assert changed_ids(html) == set()
    assert "2 more requests in this view have new activity." in html
    # A filtered board counts only what its filters show.
    url, etag = poller(client.get(BOARD, {"view": "open", "priority": "1"}).content.decode())
    TicketFactory(department=support, priority=Priority.LOW)
    TicketFactory(department=support, priority=Priority.HIGH)
    html = client.get(url, HTTP_IF_NONE_MATCH=etag).content.decode()
    assert "1 more request in this view has new activity." in html


def test_rows_the_agent_cannot_see_are_never_reported(client, dispatcher, billing, supervisor):
    hidden = earlier(department=billing)
    opened = opened_token(timezone.now() - timedelta(minutes=1))
    services.ticket_update(ticket=hidden, actor=supervisor, priority=Priority.CRITICAL)
    client.force_login(dispatcher)
    answer = client.get(LIVE, {"view": "all", "opened": opened, "rows": str(hidden.pk)})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert changed_ids(html) == set()
    assert "more request" not in html  # nor counted among the arrivals
    assert hidden.subject not in html


def test_the_poll_refreshes_the_sidebar_out_of_band_when_counts_changed(
    client, dispatcher, support
):
    earlier(department=support)
    client.force_login(dispatcher)
    url, etag = poller(client.get(BOARD, {"view": "open"}).content.decode())
    answer = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert answer.status_code == 304
    html = client.get(url).content.decode()  # no ETag: a full answer
    assert '<div id="desk-sidebar" hx-swap-oob="true"' in html
    # The views and their counts only: the "Save this view" form (and what is typed in it) stays.
    assert "data-hl-save-view" not in html


@pytest.mark.parametrize("params", [{}, {"opened": "soon"}, {"opened": "9" * 20}])
def test_a_poll_without_its_moment_is_refused(client, dispatcher, params):
    client.force_login(dispatcher)
    assert client.get(LIVE, params).status_code == 400


def test_the_poll_is_for_staff_only(client, requester_a):
    client.force_login(requester_a)
    assert client.get(LIVE, {"opened": "1"}).status_code == 404
    client.logout()
    assert client.get(LIVE, {"opened": "1"}).status_code == 302


@pytest.mark.parametrize("rows", [1, 20])
def test_poll_query_count_is_constant(client, django_assert_num_queries, dispatcher, support, rows):
    tickets = [earlier(department=support) for _ in range(rows)]
    SiteSettings.current()
    client.force_login(dispatcher)
    url, etag = poller(client.get(BOARD, {"view": "open"}).content.decode())
    for ticket in tickets:
        services.ticket_update(ticket=ticket, actor=dispatcher, priority=Priority.HIGH)
    client.get(url)  # warms the sidebar's counts
    # 1 session, 2 user, 3 the page's rows changed since, 4 the view's arrivals (capped); the
    # counts come from the cache, the site settings (middleware) and the agent's rights from
    # the reference data kept per process (helpline.core.reference).
    with django_assert_num_queries(4):
        answer = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert len(changed_ids(answer.content.decode())) == rows
