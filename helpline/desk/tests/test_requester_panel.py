"""The ticket page's requester panel: other requests, organisation, notes, by the access rules."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.tickets.models import StatusCategory
from helpline.tickets.tests.factories import TicketFactory

from .ticket_support import site_settings_row, ticket_fixture, url  # noqa: F401


def panel(html: str) -> str:
    match = re.search(r'<section class="card hl-requester-panel".*?</section>', html, re.S)
    assert match, "no requester panel"
    return match.group(0)


def test_panel_lists_the_requesters_other_requests_the_agent_may_open(
    client, dispatcher, ticket, requester_a, requester_a2, support, billing
):
    # Given Alice's other requests: one open in Support, one closed in Support, one in Billing
    # (which the dispatcher cannot open), and a colleague's request in the same organisation
    open_one = TicketFactory(requester=requester_a, department=support, subject="Printer jams")
    closed_one = TicketFactory(
        requester=requester_a,
        department=support,
        subject="Old laptop",
        category=StatusCategory.CLOSED,
    )
    hidden = TicketFactory(requester=requester_a, department=billing, subject="Invoice 1177")
    TicketFactory(requester=requester_a2, department=support, subject="Arthur's mouse")
    client.force_login(dispatcher)

    html = panel(client.get(url("ticket", ticket.pk)).content.decode())

    assert f'href="{url("ticket", open_one.pk)}"' in html
    assert f'href="{url("ticket", closed_one.pk)}"' in html
    assert "Printer jams" in html and "Old laptop" in html
    assert "Invoice 1177" not in html and url("ticket", hidden.pk) not in html
    # Not the request itself, not a colleague's
    assert f'href="{url("ticket", ticket.pk)}"' not in html
    assert "Arthur" not in html
    # The organisation with its open requests the dispatcher may open: this, the printer and
    # Arthur's (not the billing one, not the closed one)
    assert "Acme" in html
    assert re.search(r"data-hl-org-open>\s*3 open", html)
    # First seen, and the way to all of Alice's requests on the board
    assert "first seen" in html
    assert f"?view=all&amp;requester={requester_a.pk}" in html


def test_organisation_notes_and_the_record_link(client, dispatcher, admin_user, ticket, org_a):
    org_a.notes = "Key account: call before closing."
    org_a.save()
    record = reverse("manage:requester", args=[ticket.requester_id])

    client.force_login(dispatcher)
    html = panel(client.get(url("ticket", ticket.pk)).content.decode())
    assert "Key account: call before closing." in html
    # Agents cannot open administration: no link that would 404
    assert record not in html

    client.force_login(admin_user)
    html = panel(client.get(url("ticket", ticket.pk)).content.decode())
    assert record in html


def test_requester_without_organisation_or_other_requests(client, dispatcher, support):
    ticket = TicketFactory(department=support, requester__organisation=None)
    client.force_login(dispatcher)
    html = panel(client.get(url("ticket", ticket.pk)).content.decode())
    assert "No other requests." in html
    assert "data-hl-org-open" not in html


@pytest.mark.parametrize("others", [1, 20])
def test_panel_queries_do_not_grow_with_the_requesters_requests(
    client, dispatcher, ticket, requester_a, support, others
):
    client.force_login(dispatcher)
    client.get(url("ticket", ticket.pk))
    with CaptureQueriesContext(connection) as before:
        client.get(url("ticket", ticket.pk))
    for _ in range(others):
        TicketFactory(requester=requester_a, department=support)

    with CaptureQueriesContext(connection) as after:
        html = client.get(url("ticket", ticket.pk)).content.decode()

    assert len(after) == len(before)
    assert panel(html).count('class="flex-grow-1 text-truncate hl-other-link"') == min(others, 6)
