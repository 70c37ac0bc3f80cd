"""Exact query counts for the portal's list and request page, with 1 and with 20 rows."""

import pytest
from django.urls import reverse

from helpline.core.models import SiteSettings
from helpline.tickets import services

from .conftest import checked, open_request


@pytest.fixture(autouse=True)
def site_settings(db):
    # The settings row exists on any real desk; creating it is not part of the page's cost.
    return SiteSettings.current()


@pytest.mark.parametrize("rows", [1, 20])
def test_my_requests_list(
    client, requester_a, shared_org, support, rows, django_assert_num_queries
):
    for n in range(rows):
        open_request(requester_a, support, subject=f"Request {n}")
    client.force_login(requester_a)
    # 1 session, 2 user, 3 the reference generation, 4 site settings (reference data: read on a
    # process's first request after a change, as here), 5 the user's organisation (does it
    # share?), 6 the page of tickets.
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:requests"))
    assert response.content.decode().count("data-hl-row") == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_organisation_tab(
    client, requester_a, requester_a2, shared_org, support, rows, django_assert_num_queries
):
    for n in range(rows):
        open_request(requester_a2 if n % 2 else requester_a, support, subject=f"Request {n}")
    client.force_login(requester_a)
    # 1 session, 2 user, 3-4 the reference generation and site settings (as above),
    # 5 organisation, 6 the page with its requesters joined.
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:requests") + "?tab=organisation")
    assert response.content.decode().count("data-hl-row") == rows


@pytest.mark.parametrize("entries", [1, 20])
def test_request_page(client, requester_a, dispatcher, support, entries, django_assert_num_queries):
    ticket = open_request(requester_a, support, files=[checked()])
    for n in range(entries - 1):
        author = dispatcher if n % 2 else requester_a
        services.ticket_reply_add(
            ticket=ticket, actor=author, body=f"Reply {n}", files=[checked(f"f{n}.txt")]
        )
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body=f"Note {n}")
    client.force_login(requester_a)
    # 1 session, 2 user, 3-4 the reference generation and site settings (as above), 5 the
    # user's organisation, 6 the ticket with requester and topic, 7 the public entries with
    # authors, 8 their attachments. Status lines read the category stored in the history: no
    # status query.
    with django_assert_num_queries(8):
        response = client.get(reverse("portal:request", args=[ticket.pk]))
    assert response.content.decode().count('<article class="hl-message') == entries
