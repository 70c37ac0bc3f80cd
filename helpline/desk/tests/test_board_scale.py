"""What keeps the board fast on a large desk (figures in docs/admin/benchmarks.md): the page's ids
are chosen from the tickets alone, and long option lists render without a template per option."""

from datetime import timedelta

import pytest
from django import forms
from django.db import connection
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Organisation
from helpline.accounts.tests.factories import OrganisationFactory, UserFactory
from helpline.desk.forms import BoardFilterForm, BulkForm, LongSelect
from helpline.desk.selectors import (
    PAGE_SIZE,
    BoardFilters,
    board_choices,
    filter_tickets,
    ticket_board,
    view_tickets,
)
from helpline.tickets.models import StatusCategory, Tag
from helpline.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_page_ids_come_from_a_subquery_on_tickets_alone(supervisor, support):
    TicketFactory.create_batch(3, department=support)
    qs = filter_tickets(view_tickets(supervisor, "open"), BoardFilters(text="printer"), supervisor)

    with CaptureQueriesContext(connection) as queries:
        ticket_board(qs, page_size=2)

    page_sql = queries.captured_queries[0]["sql"]
    # The joins sit outside; inside, the filters, the order and the limit on tickets only.
    outer, _sep, inner = page_sql.partition("IN (SELECT")
    assert "accounts_organisation" in outer and "accounts_organisation" not in inner
    assert "LIMIT 3" in inner and "ORDER BY" in inner


def test_pages_follow_each_other_in_order_under_a_text_filter(supervisor, support, org_a):
    # Given requests sharing activity times (ties broken by number), some not matching,
    base = timezone.now() - timedelta(hours=1)
    matching = [
        TicketFactory(
            department=support,
            subject=f"Printer {n}",
            category=StatusCategory.OPEN,
            requester=UserFactory(organisation=org_a),
            last_activity_at=base + timedelta(minutes=n // 2),
        )
        for n in range(7)
    ]
    TicketFactory.create_batch(3, department=support, subject="Something else")
    expected = [t.pk for t in sorted(matching, key=lambda t: (t.last_activity_at, t.pk))][::-1]
    qs = filter_tickets(view_tickets(supervisor, "open"), BoardFilters(text="printer"), supervisor)

    # when the board is read three rows at a time, forwards and back,
    first = ticket_board(qs, page_size=3)
    second = ticket_board(qs, page_size=3, after=first.next_cursor)
    third = ticket_board(qs, page_size=3, after=second.next_cursor)
    back = ticket_board(qs, page_size=3, before=third.prev_cursor)

    # then every match appears once, newest first, with its joins loaded.
    pages = [first, second, third]
    assert [t.pk for page in pages for t in page.tickets] == expected
    assert third.next_cursor is None
    assert [t.pk for t in back.tickets] == [t.pk for t in second.tickets]
    assert first.tickets[0].organisation == org_a


@pytest.mark.parametrize("value", ["2", "", None, "missing"])
def test_long_select_renders_what_django_select_renders(value):
    choices = [("", "Any organisation"), ("1", "Fish & <Chips>"), ("2", "Åsgård AS")]
    attrs = {"class": "form-select form-select-sm", "form": "board-filters"}

    fast = LongSelect(attrs=attrs, choices=choices).render("organisation", value, {"id": "id_o"})
    plain = forms.Select(attrs=attrs, choices=choices).render("organisation", value, {"id": "id_o"})

    assert parse_html(fast) == parse_html(plain)
    assert "Fish &amp; &lt;Chips&gt;" in fast


def test_long_lists_stay_out_of_the_board(dispatcher, support):
    acme = OrganisationFactory(name="Acme & Co")
    TicketFactory(department=support, requester=UserFactory(organisation=acme))
    choices = board_choices(dispatcher)

    filters = BoardFilterForm({"organisation": ""}, choices=choices, user=dispatcher)
    bulk = BulkForm(choices=choices, user=dispatcher)

    # Organisations, requesters, tags and the responsible person are typeahead look-ups ...
    assert not any(
        isinstance(filters.fields[name].widget, forms.Select) for name in filters.TYPEAHEADS
    )
    assert {t["name"] for t in filters.typeaheads} == {
        "organisation",
        "requester",
        "tag",
        "responsible",
    }
    # ... the bulk bar's colleagues still a select, rendered in Python.
    assert isinstance(bulk.fields["assignee"].widget, LongSelect)


def test_board_html_stays_small_whatever_the_number_of_organisations(client, supervisor, support):
    Organisation.objects.bulk_create(
        Organisation(name=f"Organisation number {i:05d} with a long name AS") for i in range(5000)
    )
    tag = Tag.objects.create(name="printer")
    for i in range(PAGE_SIZE + 5):
        ticket = TicketFactory(
            department=support,
            assignee=supervisor,
            subject=f"Request {i}: " + "the printer on the third floor jams on every page " * 2,
            requester=UserFactory(organisation=OrganisationFactory(name=f"Customer {i} AS")),
        )
        ticket.tags.add(tag)
    client.force_login(supervisor)

    html = client.get(reverse("desk:board"), {"view": "open"}).content
    assert html.count(b"<tr data-hl-row") == PAGE_SIZE
    assert b"Organisation number" not in html
    assert len(html) <= 80_000, len(html)
