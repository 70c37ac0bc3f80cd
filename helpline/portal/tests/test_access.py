"""Who may open, answer, confirm, reopen and download what in the portal: the access matrix."""

import pytest
from django.urls import reverse

from helpline.tickets import services
from helpline.tickets.models import Entry, StatusCategory
from helpline.tickets.services._common import default_status

from .conftest import open_request

ACTIONS = ["view", "reply", "confirm", "reopen", "download"]
FORBIDDEN = ["requester_a2", "requester_b", "dispatcher", "specialist", "supervisor", "external"]


@pytest.fixture
def resolved(ticket, dispatcher):
    # Resolved, so the owner's confirm and reopen succeed and show the allowed side of the matrix.
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Restart the router, please.")
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.RESOLVED)
    )
    ticket.refresh_from_db()
    return ticket


def perform(client, action, ticket, attachment):
    if action == "view":
        return client.get(reverse("portal:request", args=[ticket.pk]))
    if action == "reply":
        return client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "Any news?"})
    if action == "confirm":
        return client.post(reverse("portal:confirm", args=[ticket.pk]))
    if action == "reopen":
        return client.post(reverse("portal:reopen", args=[ticket.pk]), {"reason": "Still down"})
    return client.get(reverse("portal:attachment", args=[attachment.pk]))


def state(ticket):
    ticket.refresh_from_db()
    return ticket.status_category, Entry.objects.filter(ticket=ticket).count()


@pytest.mark.parametrize("action", ACTIONS)
def test_owner_may_do_everything(client, requester_a, resolved, public_file, action):
    client.force_login(requester_a)
    response = perform(client, action, resolved, public_file)
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response.url.startswith(reverse("portal:request", args=[resolved.pk]))


@pytest.mark.parametrize("persona", FORBIDDEN)
@pytest.mark.parametrize("action", ACTIONS)
def test_everyone_else_gets_404_and_changes_nothing(
    client, request, resolved, public_file, persona, action
):
    client.force_login(request.getfixturevalue(persona))
    before = state(resolved)
    response = perform(client, action, resolved, public_file)
    assert response.status_code == 404
    assert resolved.subject not in response.content.decode(errors="ignore")
    assert state(resolved) == before


@pytest.mark.parametrize("action", ["view", "reply", "confirm", "reopen"])
def test_anonymous_is_sent_to_sign_in(client, resolved, public_file, action):
    before = state(resolved)
    response = perform(client, action, resolved, public_file)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert state(resolved) == before


def test_anonymous_download_is_404(client, public_file, ticket):
    assert perform(client, "download", ticket, public_file).status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_colleague_may_act_when_organisation_lets_colleagues_act(
    client, requester_a2, shared_org, resolved, public_file, action
):
    shared_org.colleagues_may_act = True
    shared_org.save()
    client.force_login(requester_a2)
    before = state(resolved)
    assert perform(client, action, resolved, public_file).status_code in {200, 302}
    if action in {"reply", "confirm", "reopen"}:
        assert state(resolved) != before


@pytest.mark.parametrize("action", ACTIONS)
def test_colleague_only_reads_a_shared_request_by_default(
    client, requester_a2, shared_org, resolved, public_file, action
):
    # Given an organisation that shares its requests but does not let colleagues act on them,
    client.force_login(requester_a2)
    before = state(resolved)
    response = perform(client, action, resolved, public_file)
    # a colleague reads the request and its files, and every action changes nothing.
    assert response.status_code in {200, 302}
    assert state(resolved) == before


def test_read_only_colleague_is_offered_no_reply_box_nor_decision(
    client, requester_a2, shared_org, resolved
):
    client.force_login(requester_a2)
    html = client.get(reverse("portal:request", args=[resolved.pk])).content.decode()
    assert resolved.subject in html
    assert reverse("portal:reply", args=[resolved.pk]) not in html
    assert reverse("portal:confirm", args=[resolved.pk]) not in html
    assert reverse("portal:reopen", args=[resolved.pk]) not in html


def test_acting_colleague_is_offered_the_reply_box_and_decision(
    client, requester_a2, shared_org, resolved
):
    shared_org.colleagues_may_act = True
    shared_org.save()
    client.force_login(requester_a2)
    html = client.get(reverse("portal:request", args=[resolved.pk])).content.decode()
    assert reverse("portal:confirm", args=[resolved.pk]) in html
    assert reverse("portal:reopen", args=[resolved.pk]) in html


@pytest.mark.parametrize("action", ACTIONS)
def test_sharing_does_not_open_other_organisations(
    client, requester_b, shared_org, resolved, public_file, action
):
    client.force_login(requester_b)
    assert perform(client, action, resolved, public_file).status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_deleted_request_is_gone_even_for_its_owner(
    client, requester_a, resolved, public_file, supervisor, action
):
    services.ticket_delete(ticket=resolved, actor=supervisor)
    client.force_login(requester_a)
    assert perform(client, action, resolved, public_file).status_code == 404


def test_deleted_request_is_not_listed(client, requester_a, ticket, supervisor):
    services.ticket_delete(ticket=ticket, actor=supervisor)
    client.force_login(requester_a)
    response = client.get(reverse("portal:requests") + "?tab=all")
    assert ticket.subject not in response.content.decode()


def test_staff_use_the_portal_for_their_own_requests(client, dispatcher, support, ticket):
    own = open_request(dispatcher, support, subject="My monitor flickers")
    client.force_login(dispatcher)
    assert client.get(reverse("portal:request", args=[own.pk])).status_code == 200
    listing = client.get(reverse("portal:requests") + "?tab=all").content.decode()
    assert "My monitor flickers" in listing
    assert ticket.subject not in listing


def test_staff_reply_to_own_request_counts_as_requester(client, dispatcher, support):
    own = open_request(dispatcher, support, subject="My monitor flickers")
    client.force_login(dispatcher)
    client.post(reverse("portal:reply", args=[own.pk]), {"body": "It also buzzes."})
    own.refresh_from_db()
    assert own.first_response_at is None
    assert own.status_category == StatusCategory.NEW


def test_lists_show_only_what_the_person_may_see(client, requester_a, requester_b, ticket):
    client.force_login(requester_b)
    for tab in ("open", "closed", "all", "organisation"):
        response = client.get(reverse("portal:requests") + f"?tab={tab}")
        assert ticket.subject not in response.content.decode()


def test_organisation_tab_only_when_shared(client, requester_a2, ticket, org_a):
    client.force_login(requester_a2)
    page = client.get(reverse("portal:requests") + "?tab=organisation").content.decode()
    assert "My organisation&#x27;s requests" not in page and ticket.subject not in page
    org_a.shared_requests = True
    org_a.save()
    page = client.get(reverse("portal:requests") + "?tab=organisation").content.decode()
    assert "My organisation&#x27;s requests" in page
    assert ticket.subject in page and "Alice" in page
