"""The board's optional time column: totals per row, and not one query more for it."""

import re
import uuid

import pytest
from django.urls import reverse

from helpline.core.models import SiteSettings
from helpline.tickets.tests.factories import TicketFactory
from helpline.timelog import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


def _count(client, params, django_assert_num_queries, expected=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("desk:board"), params).content.decode()
    return len(queries), html


@pytest.mark.parametrize("count", [1, 20])
def test_time_column_costs_no_query(
    client, private_cache, django_assert_num_queries, dispatcher, support, requester_a, count
):
    tickets = [
        TicketFactory(department=support, requester=requester_a, assignee=dispatcher)
        for _ in range(count)
    ]
    for ticket in tickets:
        services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=20)
        services.time_entry_add(ticket=ticket, actor=dispatcher, minutes=70)
    SiteSettings.current()
    client.force_login(dispatcher)
    client.get(reverse("desk:board"), {"view": "open"})
    without, html = _count(client, {"view": "open"}, django_assert_num_queries)
    assert "data-hl-time-total" not in html and "time=1" in html
    # The totals come in the board's own statement (a subquery per row, inside it).
    with django_assert_num_queries(without):
        html = client.get(reverse("desk:board"), {"view": "open", "time": "1"}).content.decode()
    totals = re.findall(r"data-hl-time-total>([^<]+)<", html)
    assert totals == ["1:30"] * count
