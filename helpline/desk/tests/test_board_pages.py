"""Keyset pages, capped per-view counts and the board's constant number of queries."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import User
from helpline.core.models import SiteSettings
from helpline.desk import selectors
from helpline.tickets.models import Priority, StatusCategory, Tag, Ticket
from helpline.tickets.tests.factories import TicketFactory

BOARD = reverse("desk:board")


@pytest.fixture
def locmem_cache(settings):
    # A private in-memory cache, so counts cached by one test never leak into another and the
    # database cache's own queries do not blur what the board itself asks.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


def walk(client, params, direction="after", start=None):
    """Every page of the board from the first, following the cursors; returns pages of ids."""
    pages, cursor = [], start
    while True:
        query = dict(params, **({direction: cursor} if cursor else {}))
        page = client.get(BOARD, query).context["page"]
        pages.append([t.pk for t in page.tickets])
        cursor = page.next_cursor if direction == "after" else page.prev_cursor
        if cursor is None:
            return pages
        assert len(pages) < 10, "pagination does not end"


def test_keyset_pages_are_stable_with_equal_activity(client, supervisor, support):
    # Given 120 requests touched at the very same instant
    same = timezone.now() - timedelta(hours=1)
    tickets = TicketFactory.create_batch(120, department=support, last_activity_at=same)
    client.force_login(supervisor)

    # When the agent pages through the board
    pages = walk(client, {"view": "open"})

    # Then three pages of 50, 50, 20 cover every request once, newest number first
    assert [len(p) for p in pages] == [50, 50, 20]
    flat = [pk for page in pages for pk in page]
    assert flat == sorted((t.pk for t in tickets), reverse=True)


def test_previous_page_returns_the_same_rows(client, supervisor, support):
    same = timezone.now()
    TicketFactory.create_batch(120, department=support, last_activity_at=same)
    client.force_login(supervisor)
    first = client.get(BOARD, {"view": "open"}).context["page"]
    second = client.get(BOARD, {"view": "open", "after": first.next_cursor}).context["page"]
    third = client.get(BOARD, {"view": "open", "after": second.next_cursor}).context["page"]
    back = client.get(BOARD, {"view": "open", "before": third.prev_cursor}).context["page"]
    assert [t.pk for t in back.tickets] == [t.pk for t in second.tickets]
    again = client.get(BOARD, {"view": "open", "before": back.prev_cursor}).context["page"]
    assert [t.pk for t in again.tickets] == [t.pk for t in first.tickets]
    assert again.prev_cursor is None
    assert first.prev_cursor is None and third.next_cursor is None


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_priority_sort_pages_without_gaps(client, supervisor, support, direction):
    base = timezone.now()
    for i in range(110):
        TicketFactory(
            department=support,
            priority=Priority.values[i % 4],
            last_activity_at=base - timedelta(minutes=i // 7),
        )
    client.force_login(supervisor)
    pages = walk(client, {"view": "open", "sort": "priority", "dir": direction})
    flat = [pk for page in pages for pk in page]
    expected = list(
        Ticket.objects.order_by(
            *(
                f"{'-' if direction == 'desc' else ''}{c}"
                for c in ("priority", "last_activity_at", "id")
            )
        ).values_list("pk", flat=True)
    )
    assert flat == expected


def test_new_rows_do_not_shift_later_pages(client, supervisor, support):
    TicketFactory.create_batch(60, department=support, last_activity_at=timezone.now())
    client.force_login(supervisor)
    first = client.get(BOARD, {"view": "open"}).context["page"]
    # Someone writes in between: the new request lands on top, not inside page two.
    TicketFactory(department=support, last_activity_at=timezone.now() + timedelta(minutes=1))
    second = client.get(BOARD, {"view": "open", "after": first.next_cursor}).context["page"]
    assert len(second.tickets) == 10
    assert not {t.pk for t in first.tickets} & {t.pk for t in second.tickets}


def test_page_query_uses_a_keyset_never_offset(client, supervisor, support):
    TicketFactory.create_batch(55, department=support)
    client.force_login(supervisor)
    first = client.get(BOARD, {"view": "open"}).context["page"]
    with CaptureQueriesContext(connection) as queries:
        client.get(BOARD, {"view": "open", "after": first.next_cursor})
    page_sql = [q["sql"] for q in queries if 'FROM "tickets_ticket"' in q["sql"]]
    assert page_sql and not any("OFFSET" in sql.upper() for sql in page_sql)


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4IiwgMV0", "e30", "WzEsMiwzXQ"])
def test_bad_cursor_shows_the_first_page(client, supervisor, support, cursor):
    ticket = TicketFactory(department=support)
    client.force_login(supervisor)
    response = client.get(BOARD, {"view": "open", "after": cursor, "before": cursor})
    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].tickets] == [ticket.pk]


def test_pagination_links_keep_filters(client, supervisor, support):
    TicketFactory.create_batch(51, department=support, priority=Priority.HIGH)
    client.force_login(supervisor)
    response = client.get(BOARD, {"view": "open", "priority": "3"})
    cursor = response.context["page"].next_cursor
    assert f"?view=open&amp;priority=3&amp;after={cursor}" in response.content.decode()


# --- counts ---------------------------------------------------------------------------------


def test_counts_per_view_in_the_sidebar(client, locmem_cache, dispatcher, support, billing):
    TicketFactory.create_batch(3, department=support)
    TicketFactory(department=support, assignee=dispatcher, category=StatusCategory.PENDING)
    TicketFactory(department=billing)  # not the dispatcher's
    client.force_login(dispatcher)
    counts = client.get(BOARD).context["view_counts"]
    assert counts == {"mine": "1", "unassigned": "3", "open": "4", "pending": "1"}


def test_counts_are_capped(client, locmem_cache, monkeypatch, supervisor, support):
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    TicketFactory.create_batch(7, department=support)
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD)
    assert response.context["view_counts"]["open"] == "4+"
    assert response.context["view_counts"]["pending"] == "0"
    count_sql = next(q["sql"] for q in queries if "COUNT(*)" in q["sql"])
    assert count_sql.count("LIMIT 5") == 5  # mine, unassigned, open, pending, trash


def test_counts_are_cached_briefly_and_forgotten_after_a_change(locmem_cache, supervisor, support):
    TicketFactory(department=support)
    assert selectors.view_counts(supervisor)["open"] == 1
    TicketFactory(department=support)
    fresh = User.objects.get(pk=supervisor.pk)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.view_counts(fresh)["open"] == 1  # served from the cache
    assert len(queries) == 0
    selectors.view_counts_forget(fresh)
    assert selectors.view_counts(fresh)["open"] == 2


def test_sidebar_counts_render_on_any_desk_page(client, locmem_cache, dispatcher, support):
    TicketFactory.create_batch(2, department=support)
    client.force_login(dispatcher)
    html = client.get(reverse("desk:new")).content.decode()
    assert "?view=unassigned" in html
    assert '<span class="badge rounded-pill text-bg-primary">2</span>' in html


# --- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_board_query_count_is_constant(
    client, locmem_cache, django_assert_num_queries, dispatcher, support, software, rows
):
    tag = Tag.objects.create(name="vip")
    for i in range(rows):
        ticket = TicketFactory(
            department=software if i % 2 else support, assignee=dispatcher if i % 3 else None
        )
        ticket.tags.add(tag)
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3-4 access (memberships, department paths), 5-7 the filter and bulk
    # bars' options (departments, statuses, staff; organisations, requesters and tags are
    # typeahead look-ups, never in the page), 8 the ids matching the text (the search index,
    # one bounded statement), 9 the page of tickets with status, department, people and
    # organisation joined, who wrote last and their tags' names, 10 the site settings, 11 the
    # sidebar's capped counts (one statement for every view), 12 the saved views the agent sees
    # (their sidebar's order joined; none yet, so nothing more to count), 13 who is away (the
    # header's own status and the staff options; reference data, none once warm).
    with django_assert_num_queries(13):
        response = client.get(BOARD, {"view": "open", "priority": "2", "q": "printer"})
    assert len(response.context["page"].tickets) == rows


def test_board_text_matching_nothing_reads_no_page(
    client, locmem_cache, django_assert_num_queries, dispatcher, support
):
    TicketFactory.create_batch(3, department=support, subject="Printer")
    SiteSettings.current()
    client.force_login(dispatcher)
    # As above without the page: the engine answered no id, so the board is empty without a
    # statement over the tickets (7.7 s at a million requests when it walked them).
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, {"view": "all", "q": "zqxj"})
    assert response.context["page"].tickets == []
    assert len(queries.captured_queries) == 12
    assert not any("last_public_role" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("rows", [1, 20])
def test_board_fragment_query_count_is_constant(
    client, locmem_cache, django_assert_num_queries, supervisor, support, rows
):
    TicketFactory.create_batch(rows, department=support)
    SiteSettings.current()
    client.force_login(supervisor)
    # 1 session, 2 user, 3-5 option lists, 6 the page with its tags' names, 7 site settings: no
    # access queries for a supervisor and no counts in the list fragment.
    with django_assert_num_queries(7):
        response = client.get(BOARD, {"view": "open"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().count("<tr data-hl-row") == rows
