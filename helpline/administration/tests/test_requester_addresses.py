"""Administrators see and edit a requester's addresses; each address belongs to one person."""

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from helpline.accounts.addresses import address_add, user_by_address
from helpline.accounts.services import (
    requester_address_add,
    requester_address_make_primary,
    requester_address_remove,
    requester_register,
)
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed


def addresses(user) -> dict[str, tuple[bool, bool]]:
    return {a.email: (a.primary, a.verified) for a in EmailAddress.objects.filter(user=user)}


def url(person) -> str:
    return reverse("manage:requester_addresses", args=[person.pk])


def test_the_people_page_shows_the_addresses(client, admin_user, requester_a):
    address_add(user=requester_a, email="alice.home@mail.test")
    client.force_login(admin_user)
    html = client.get(reverse("manage:requester", args=[requester_a.pk])).content.decode()
    assert 'data-hl-address="alice@acme.test"' in html
    assert 'data-hl-address="alice.home@mail.test"' in html
    assert "Not confirmed" in html and url(requester_a) in html


def test_an_administrator_adds_an_address_that_lookups_then_find(client, admin_user, requester_a):
    client.force_login(admin_user)
    response = client.post(url(requester_a), {"action": "add", "email": "Alice.Home@Mail.test"})
    assert response.status_code == 302
    # Typed by staff: not proved, but mail and requests from it reach Alice.
    assert addresses(requester_a)["alice.home@mail.test"] == (False, False)
    assert requester_register(email="alice.home@mail.test") == requester_a
    event = Event.objects.get(action="requester.address_added")
    assert (event.actor, event.changes) == (admin_user, {"email": "alice.home@mail.test"})


def test_an_address_of_another_person_is_refused_with_a_message(
    client, admin_user, requester_a, requester_b
):
    client.force_login(admin_user)
    response = client.post(url(requester_b), {"action": "add", "email": "ALICE@acme.test"})
    assert response.status_code == 200
    assert "Another account already uses this address." in response.content.decode()
    assert set(addresses(requester_b)) == {"bob@globex.test"}


def test_one_address_two_people_is_refused_by_service_and_database(
    admin_user, requester_a, requester_b
):
    requester_address_add(user=requester_a, actor=admin_user, email="shared@mail.test")
    with pytest.raises(ValidationFailed):
        requester_address_add(user=requester_b, actor=admin_user, email="SHARED@mail.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailAddress.objects.create(user=requester_b, email="shared@mail.test")
    assert user_by_address("shared@mail.test") == requester_a


def test_remove_and_make_primary(client, admin_user, requester_a):
    address_add(user=requester_a, email="typed@mail.test")
    address_add(user=requester_a, email="proved@mail.test", verified=True)
    client.force_login(admin_user)
    response = client.post(url(requester_a), {"action": "primary", "email": "typed@mail.test"})
    assert "Only a confirmed address can become the primary address." in (response.content.decode())
    client.post(url(requester_a), {"action": "primary", "email": "proved@mail.test"})
    requester_a.refresh_from_db()
    assert requester_a.email == "proved@mail.test"
    assert Event.objects.get(action="requester.changed").changes == {
        "email": ["alice@acme.test", "proved@mail.test"]
    }
    response = client.post(url(requester_a), {"action": "remove", "email": "proved@mail.test"})
    assert "The primary address cannot be removed" in response.content.decode()
    client.post(url(requester_a), {"action": "remove", "email": "typed@mail.test"})
    assert set(addresses(requester_a)) == {"alice@acme.test", "proved@mail.test"}
    assert Event.objects.get(action="requester.address_removed").changes == {
        "email": "typed@mail.test",
        "verified": False,
    }


def test_only_administrators_change_addresses(client, dispatcher, requester_a, requester_b):
    for actor in (dispatcher, requester_a, None):
        with pytest.raises(PermissionDenied):
            requester_address_add(user=requester_b, actor=actor, email="x@mail.test")
        with pytest.raises(PermissionDenied):
            requester_address_remove(user=requester_b, actor=actor, email="bob@globex.test")
        with pytest.raises(PermissionDenied):
            requester_address_make_primary(user=requester_b, actor=actor, email="bob@globex.test")
    client.force_login(dispatcher)
    response = client.post(url(requester_b), {"action": "add", "email": "x@mail.test"})
    assert response.status_code in (403, 404)
    assert set(addresses(requester_b)) == {"bob@globex.test"}


def test_staff_addresses_are_not_edited_here(admin_user, dispatcher):
    with pytest.raises(ValidationFailed):
        requester_address_add(user=dispatcher, actor=admin_user, email="x@mail.test")


def test_the_address_forms_are_csrf_protected(admin_user, requester_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(url(requester_a), {"action": "add", "email": "x@mail.test"})
    assert response.status_code == 403
