"""The portal and addresses nobody has proved: anonymous submissions never reach a staff account
or another requester's data, and an unverified requester sees no shared organisation requests."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from helpline.accounts.models import User
from helpline.accounts.services import requester_register
from helpline.core.models import SiteSettings
from helpline.tickets.models import Ticket, TicketClass

from .conftest import open_request

FORM = {
    "ticket_class": TicketClass.INCIDENT,
    "subject": "Please reset my token",
    "description": "It stopped working.",
    "name": "Mallory",
    "website": "",
}


@pytest.fixture
def anonymous_on(db):
    settings = SiteSettings.current()
    settings.anonymous_submission = True
    settings.save()
    return settings


def test_anonymous_submission_with_a_staff_address_is_refused(
    client, anonymous_on, dispatcher, support
):
    response = client.post(reverse("portal:new"), {**FORM, "email": "Dispatcher@desk.test"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "can only be sent after signing in" in html
    assert reverse("accounts:login") in html
    # Nothing reveals whose address it is, and nothing is filed.
    assert "Dana" not in html and "staff" not in html.lower()
    assert not Ticket.objects.exists()
    assert not client.session.get("portal_submitted")


def test_anonymous_submission_for_a_known_requester_opens_nothing_of_theirs(
    client, anonymous_on, requester_a, support
):
    # Given Alice's earlier request
    earlier = open_request(requester_a, support, subject="Alice's salary question")
    # When a stranger submits with Alice's address
    response = client.post(reverse("portal:new"), {**FORM, "email": "alice@acme.test"})
    assert response.status_code == 302
    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    # Then the request is Alice's (she gets the answers by mail), her details are untouched,
    assert ticket.requester == requester_a
    requester_a.refresh_from_db()
    assert requester_a.first_name == "Alice"
    # and the stranger is not signed in and can open nothing: not the new request, not hers.
    assert "_auth_user_id" not in client.session
    html = client.get(reverse("portal:submitted")).content.decode()
    assert "Alice" not in html and ticket.subject not in html
    for url in (
        reverse("portal:request", args=[ticket.pk]),
        reverse("portal:request", args=[earlier.pk]),
        reverse("portal:requests"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def _stranger_of_acme(shared_org):
    """Someone typed stranger@acme.test; whoever it is now signs in somehow."""
    user = requester_register(email="stranger@acme.test", name="Stranger")
    assert user.organisation == shared_org
    return user


def test_an_unverified_requester_sees_no_shared_organisation_requests(
    client, shared_org, requester_a, support
):
    colleague_request = open_request(requester_a, support, subject="Acme budget 2027")
    stranger = _stranger_of_acme(shared_org)
    client.force_login(stranger)
    assert client.get(reverse("portal:request", args=[colleague_request.pk])).status_code == 404
    html = client.get(reverse("portal:requests") + "?tab=organisation").content.decode()
    assert "Acme budget 2027" not in html
    assert "My organisation" not in html


def test_proving_the_address_by_a_password_reset_opens_the_shared_requests(
    client, shared_org, requester_a, support
):
    colleague_request = open_request(requester_a, support, subject="Acme budget 2027")
    stranger = _stranger_of_acme(shared_org)
    # The real owner sets a password from the mail sent to the address: that proves it.
    client.post(reverse("accounts:password_reset"), {"email": "stranger@acme.test"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    form_url = client.get(link.group(1)).url
    client.post(form_url, {"password1": "first-pass-4711", "password2": "first-pass-4711"})
    assert EmailAddress.objects.get(user=stranger).verified
    assert client.session["_auth_user_id"] == str(stranger.pk)
    response = client.get(reverse("portal:request", args=[colleague_request.pk]))
    assert response.status_code == 200 and "Acme budget 2027" in response.content.decode()


def test_a_verified_colleague_still_sees_shared_requests(client, shared_org, requester_a, support):
    colleague = User.objects.get(pk=requester_a.pk)
    other = open_request(
        requester_register(email="someone@acme.test"), support, subject="Shared plan"
    )
    client.force_login(colleague)
    assert client.get(reverse("portal:request", args=[other.pk])).status_code == 200
