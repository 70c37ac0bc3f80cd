"""Merge and link dialogs suggest requests as the agent types; history folds to one line."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.tickets import services
from helpline.tickets.models import StatusCategory
from helpline.tickets.tests.factories import TicketFactory

from .ticket_support import HTMX, site_settings_row, ticket_fixture, url  # noqa: F401


def suggested(client, ticket, purpose: str, text: str = "") -> list[tuple[int, bool]]:
    """(number, selectable) of each suggestion, in order."""
    field = "target" if purpose == "merge" else "other"
    response = client.get(url(f"{purpose}_candidates", ticket.pk), {field: text}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    buttons = re.findall(r"<button [^>]*data-hl-fill[^>]*value=\"#(\d+)\"([^>]*)>", html)
    return [(int(number), " disabled" not in rest) for number, rest in buttons]


@pytest.fixture
def others(ticket, requester_a, requester_a2, support, billing):
    """Alice's other requests (one closed, one in Billing), and Arthur's about the same VPN."""
    return {
        "alice_vpn": TicketFactory(requester=requester_a, department=support, subject="VPN again"),
        "alice_closed": TicketFactory(
            requester=requester_a,
            department=support,
            subject="VPN last year",
            category=StatusCategory.CLOSED,
        ),
        "alice_billing": TicketFactory(
            requester=requester_a, department=billing, subject="VPN invoice"
        ),
        "arthur_vpn": TicketFactory(requester=requester_a2, department=support, subject="VPN too"),
    }


def test_merge_suggests_the_same_requester_first_and_only_what_may_be_merged(
    client, dispatcher, ticket, others
):
    client.force_login(dispatcher)

    found = suggested(client, ticket, "merge", "vpn")

    # Alice's open VPN request first; Arthur's shown but not selectable (merge needs the same
    # requester); the closed one (the service would refuse it), the one in Billing (not hers
    # to see) and the request itself never.
    assert found == [(others["alice_vpn"].pk, True), (others["arthur_vpn"].pk, False)]


def test_link_suggests_every_visible_match_and_leaves_out_existing_links(
    client, dispatcher, ticket, others
):
    client.force_login(dispatcher)
    services.ticket_link(ticket=ticket, other=others["alice_vpn"], actor=dispatcher)

    found = suggested(client, ticket, "link", "VPN")

    assert found == [(others["alice_closed"].pk, True), (others["arthur_vpn"].pk, True)]


def test_a_number_finds_that_request_first(client, dispatcher, ticket, others):
    client.force_login(dispatcher)
    arthur = others["arthur_vpn"]

    assert suggested(client, ticket, "link", f"#{arthur.pk}")[0] == (arthur.pk, True)
    # A number of a request the agent may not open finds nothing of it.
    hidden = others["alice_billing"].pk
    assert hidden not in [n for n, _ in suggested(client, ticket, "link", str(hidden))]


def test_an_empty_field_suggests_the_requesters_own_requests(client, dispatcher, ticket, others):
    client.force_login(dispatcher)
    assert [n for n, _ in suggested(client, ticket, "merge")] == [others["alice_vpn"].pk]


@pytest.mark.parametrize("extra", [1, 20])
def test_suggestions_take_two_queries_whatever_the_matches(
    client, dispatcher, ticket, requester_a2, support, extra
):
    for _ in range(extra):
        TicketFactory(requester=requester_a2, department=support, subject="VPN flaky")
    client.force_login(dispatcher)
    client.get(url("link_candidates", ticket.pk), {"other": "vpn"})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("link_candidates", ticket.pk), {"other": "vpn"})
    assert response.status_code == 200
    # session, user, the reference data's generation token (the site settings and access rights
    # are kept per process), the ticket, the requester's matches, the others'
    assert len(queries) == 6


def test_the_dialog_fields_ask_for_suggestions(client, dispatcher, ticket):
    client.force_login(dispatcher)
    # The dialogs' fields load when a dialog first opens (desk/ticket/forms/_lazy.html).
    html = "".join(
        client.get(
            url("ticket", ticket.pk), {"part": "dialog", "dialog": name}, **HTMX
        ).content.decode()
        for name in ("merge", "link")
    )
    assert f'hx-get="{url("merge_candidates", ticket.pk)}"' in html
    assert f'hx-get="{url("link_candidates", ticket.pk)}"' in html
    assert (
        'id="merge-target-candidates"' in html and 'aria-controls="merge-target-candidates"' in html
    )


def test_the_dialog_opens_with_the_requesters_own_requests_suggested(
    client, dispatcher, ticket, others
):
    """The first suggestions come with the fields: no request waits on a focus event."""
    client.force_login(dispatcher)
    html = client.get(
        url("ticket", ticket.pk), {"part": "dialog", "dialog": "merge"}, **HTMX
    ).content.decode()
    box = html.split('id="merge-target-candidates"', 1)[1]
    suggested = re.findall(r'data-hl-fill="merge-target" value="#(\d+)"', box)
    assert suggested == [str(others["alice_vpn"].pk)]
    link = client.get(
        url("ticket", ticket.pk), {"part": "dialog", "dialog": "link"}, **HTMX
    ).content.decode()
    assert f'data-hl-fill="link-other" value="#{others["alice_vpn"].pk}"' in link


def test_a_run_of_history_folds_into_one_line(client, dispatcher, ticket):
    # Given: taking the request and classifying it make a run of history entries, then a reply
    services.ticket_take(ticket=ticket, actor=dispatcher)
    ticket.refresh_from_db()
    services.ticket_update(ticket=ticket, actor=dispatcher, impact=3, urgency=3)
    ticket.refresh_from_db()
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="On it.")
    events = ticket.entries.filter(kind="event").count()
    assert events >= 2
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()

    runs = re.findall(r"<details class=\"hl-event-run\".*?</details>", html, re.S)
    assert len(runs) == 1
    assert f"{events} changes" in runs[0]
    # Every change is still there, inside the fold, and the reply is not folded
    assert runs[0].count('<div class="hl-event') == events
    assert "On it." not in runs[0] and "On it." in html
