"""A person's own addresses on the profile page: add (confirmed by a mailed link), remove, make
primary; each address belongs to one person, and typing one claims nothing."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from helpline.accounts import selfservice
from helpline.accounts.addresses import address_add, user_by_address
from helpline.accounts.services import requester_register
from helpline.audit.models import Event
from helpline.core.errors import ValidationFailed

PROFILE = reverse("accounts:profile")
ADDRESSES = reverse("accounts:addresses")


def addresses(user) -> dict[str, tuple[bool, bool]]:
    return {a.email: (a.primary, a.verified) for a in EmailAddress.objects.filter(user=user)}


def confirm_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/profile/addresses/confirm/\S+/)", message.body)[1]


def test_adding_an_address_mails_a_link_and_stores_nothing_until_it_is_opened(client, requester_a):
    client.force_login(requester_a)
    response = client.post(ADDRESSES, {"action": "add", "email": "Alice.Home@Mail.test"})
    assert response.status_code == 302 and response.url == PROFILE
    # Nothing stored yet: typing an address proves nothing, and claims nothing.
    assert addresses(requester_a) == {"alice@acme.test": (True, True)}
    assert user_by_address("alice.home@mail.test") is None
    assert Event.objects.filter(action="account.address_added", actor=requester_a).exists()
    (message,) = mail.outbox
    assert message.to == ["alice.home@mail.test"]
    path = confirm_path(message)
    # GET only shows a button (mail scanners follow links)
    page = client.get(path)
    assert "alice.home@mail.test" in page.content.decode()
    assert addresses(requester_a) == {"alice@acme.test": (True, True)}
    response = client.post(path)
    assert response.status_code == 302 and response.url == PROFILE
    assert addresses(requester_a) == {
        "alice@acme.test": (True, True),
        "alice.home@mail.test": (False, True),
    }
    assert user_by_address("ALICE.HOME@mail.test") == requester_a
    event = Event.objects.get(action="account.address_confirmed", actor=requester_a)
    assert event.changes == {"email": "alice.home@mail.test"}
    html = client.get(PROFILE).content.decode()
    assert 'data-hl-address="alice.home@mail.test"' in html


def test_an_address_of_another_person_is_refused_without_saying_whose(
    client, requester_a, requester_b
):
    address_add(user=requester_b, email="bob.home@mail.test")
    client.force_login(requester_a)
    for taken in ("BOB@globex.test", "bob.home@mail.test"):
        response = client.post(ADDRESSES, {"action": "add", "email": taken})
        html = response.content.decode()
        assert response.status_code == 200
        assert "it belongs to another account" in html
        assert "Bob" not in html
    assert not mail.outbox
    assert set(addresses(requester_a)) == {"alice@acme.test"}


def test_a_link_works_only_for_the_account_that_asked(client, requester_a, requester_b):
    client.force_login(requester_a)
    client.post(ADDRESSES, {"action": "add", "email": "alice.home@mail.test"})
    path = confirm_path(mail.outbox[0])
    other = Client()
    other.force_login(requester_b)
    assert "This link no longer works" in other.get(path).content.decode()
    other.post(path)
    assert not EmailAddress.objects.filter(email="alice.home@mail.test").exists()


def test_a_forged_link_adds_nothing(client, requester_a):
    client.force_login(requester_a)
    response = client.post(
        reverse("accounts:address_confirm", kwargs={"token": "eyJ1c2VyIjoxfQ:forged:sig"})
    )
    assert "This link no longer works" in response.content.decode()
    assert set(addresses(requester_a)) == {"alice@acme.test"}


def test_someone_taking_the_address_meanwhile_wins_over_an_old_link(requester_a, requester_b):
    selfservice.own_address_add(
        user=requester_a, email="shared@mail.test", domain="testserver", use_https=False
    )
    token = confirm_path(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    address_add(user=requester_b, email="shared@mail.test")
    with pytest.raises(ValidationFailed, match="belongs to another account"):
        selfservice.own_address_confirm(user=requester_a, token=token)
    assert user_by_address("shared@mail.test") == requester_b


def test_typing_someone_elses_address_does_not_catch_their_mail(requester_a, org_a):
    # Alice types the CEO's address but never confirms it (she cannot: the link goes to the CEO)
    selfservice.own_address_add(
        user=requester_a, email="ceo@acme.test", domain="testserver", use_https=False
    )
    # A request from the CEO's address registers the CEO, not Alice
    ceo = requester_register(email="ceo@acme.test", name="The CEO")
    assert ceo != requester_a and ceo.email == "ceo@acme.test"


def test_make_primary_only_a_confirmed_address(client, requester_a):
    address_add(user=requester_a, email="typed@mail.test")
    address_add(user=requester_a, email="proved@mail.test", verified=True)
    client.force_login(requester_a)
    response = client.post(ADDRESSES, {"action": "primary", "email": "typed@mail.test"})
    assert "Only a confirmed address can become the primary address." in (response.content.decode())
    response = client.post(ADDRESSES, {"action": "primary", "email": "proved@mail.test"})
    assert response.status_code == 302
    requester_a.refresh_from_db()
    assert requester_a.email == "proved@mail.test"
    assert addresses(requester_a) == {
        "alice@acme.test": (False, True),
        "typed@mail.test": (False, False),
        "proved@mail.test": (True, True),
    }
    event = Event.objects.get(action="account.address_primary_changed")
    assert event.changes == {"email": ["alice@acme.test", "proved@mail.test"]}
    # Signing in works with the new primary address.
    client.post(reverse("accounts:logout"))
    response = client.post(
        reverse("accounts:login"), {"login": "proved@mail.test", "password": "secret-pass-123"}
    )
    assert response.status_code == 302


def test_remove_another_address_but_never_the_primary(client, requester_a):
    address_add(user=requester_a, email="old@mail.test")
    client.force_login(requester_a)
    response = client.post(ADDRESSES, {"action": "remove", "email": "alice@acme.test"})
    assert "The primary address cannot be removed" in response.content.decode()
    client.post(ADDRESSES, {"action": "remove", "email": "old@mail.test"})
    assert set(addresses(requester_a)) == {"alice@acme.test"}
    event = Event.objects.get(action="account.address_removed", actor=requester_a)
    assert event.changes == {"email": "old@mail.test", "verified": False}


def test_someone_elses_address_cannot_be_removed_through_ones_own_profile(
    client, requester_a, requester_b
):
    address_add(user=requester_b, email="bob.home@mail.test")
    client.force_login(requester_a)
    client.post(ADDRESSES, {"action": "remove", "email": "bob.home@mail.test"})
    assert user_by_address("bob.home@mail.test") == requester_b


def test_the_address_forms_are_csrf_protected(requester_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester_a)
    response = client.post(ADDRESSES, {"action": "add", "email": "x@mail.test"})
    assert response.status_code == 403
    html = client.get(PROFILE).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 2


def test_adding_is_rate_limited_per_address(client, requester_a):
    client.force_login(requester_a)
    client.post(ADDRESSES, {"action": "add", "email": "x@mail.test"})
    response = client.post(ADDRESSES, {"action": "add", "email": "x@mail.test"})
    assert response.status_code == 429
    assert len(mail.outbox) == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (ADDRESSES, reverse("accounts:address_confirm", kwargs={"token": "abc"})):
        response = client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
