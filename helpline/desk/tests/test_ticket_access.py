"""Who reaches the ticket page and its actions: a matrix over personas and every URL."""

import pytest

from helpline.tickets import services
from helpline.tickets.tests.factories import TicketFactory

from .ticket_support import pdf, site_settings_row, ticket_fixture, url  # noqa: F401

# (url name, method, extra url args)
TICKET_URLS = [
    ("ticket", "get", ()),
    ("reply", "post", ()),
    ("note", "post", ()),
    ("fields", "post", ()),
    ("take", "post", ()),
    ("escalate", "post", ()),
    ("hand_to_supervisor", "post", ()),
    ("transfer", "post", ()),
    ("merge", "post", ()),
    ("link", "post", ()),
    ("unlink", "post", ("other",)),
    ("watch", "post", ()),
    ("tags", "post", ()),
    ("delete", "post", ()),
    ("restore", "post", ()),
    ("purge", "post", ()),
]

PAYLOAD = {"body": "x", "reason": "x", "target": "1", "other": "1", "tags": "x", "watch": "1"}


@pytest.fixture
def with_attachment(ticket, requester_a):
    entry = services.ticket_reply_add(
        ticket=ticket, actor=requester_a, body="Log", files=[services.attachment_validate(pdf())]
    )
    return entry.attachments.get()


def _urls(ticket, attachment):
    other = TicketFactory(department=ticket.department)
    for name, method, extra in TICKET_URLS:
        args = [ticket.pk] + [other.pk for _ in extra]
        yield name, method, url(name, *args)
    yield "attachment", "get", url("attachment", attachment.pk)


def _call(client, method, address):
    return client.get(address) if method == "get" else client.post(address, PAYLOAD)


def _unchanged(ticket, before):
    ticket.refresh_from_db()
    return (ticket.version, ticket.entries.count(), ticket.deleted_at) == before


def test_anonymous_is_sent_to_sign_in(client, ticket, with_attachment):
    ticket.refresh_from_db()
    before = (ticket.version, ticket.entries.count(), None)
    for name, method, address in _urls(ticket, with_attachment):
        response = _call(client, method, address)
        assert response.status_code == 302, name
        assert "next=" in response["Location"], name
    assert _unchanged(ticket, before)


@pytest.mark.parametrize("persona", ["requester_a", "requester_b", "billing_agent"])
def test_forbidden_personas_get_404_everywhere(client, request, persona, ticket, with_attachment):
    # Alice asked the question herself, yet the desk's URLs are not hers to use.
    client.force_login(request.getfixturevalue(persona))
    ticket.refresh_from_db()
    before = (ticket.version, ticket.entries.count(), None)

    for name, method, address in _urls(ticket, with_attachment):
        assert _call(client, method, address).status_code == 404, name

    assert _unchanged(ticket, before)


def test_external_provider_sees_only_their_department_or_own(
    client, external, ticket, vendor_department, requester_a
):
    client.force_login(external)
    assert client.get(url("ticket", ticket.pk)).status_code == 404

    theirs = TicketFactory(department=vendor_department, requester=requester_a)
    assert client.get(url("ticket", theirs.pk)).status_code == 200

    type(ticket).objects.filter(pk=ticket.pk).update(assignee=external)
    assert client.get(url("ticket", ticket.pk)).status_code == 200


def test_missing_ticket_is_404(client, dispatcher, db):
    client.force_login(dispatcher)
    assert client.get(url("ticket", 999999)).status_code == 404


def test_state_changes_are_post_only(client, dispatcher, ticket):
    client.force_login(dispatcher)
    for name, method, extra in TICKET_URLS:
        if method == "post":
            args = [ticket.pk] + [ticket.pk for _ in extra]
            assert client.get(url(name, *args)).status_code == 405, name


def test_posts_need_the_csrf_token(dispatcher, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(dispatcher)

    assert client.post(url("take", ticket.pk)).status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None
