"""A person's addresses: primary kept equal to User.email, others beside it, each unique."""

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from helpline.accounts import services
from helpline.accounts.addresses import address_add, address_primary_set, user_by_address
from helpline.core.errors import ValidationFailed


def addresses(user) -> dict[str, tuple[bool, bool]]:
    return {a.email: (a.primary, a.verified) for a in EmailAddress.objects.filter(user=user)}


def test_a_requester_registered_from_a_request_has_an_unproved_primary_address(support):
    user = services.requester_register(email="New.Person@Acme.test", name="New Person")
    assert user.email == "new.person@acme.test"
    assert addresses(user) == {"new.person@acme.test": (True, False)}


def test_a_message_from_another_address_of_a_person_finds_that_person(requester_a):
    address_add(user=requester_a, email="Alice.Home@Mail.test")
    assert user_by_address("alice.home@mail.test") == requester_a
    assert services.requester_register(email="ALICE.HOME@mail.test") == requester_a
    assert addresses(requester_a) == {
        "alice@acme.test": (True, True),
        "alice.home@mail.test": (False, False),
    }


def test_an_address_belongs_to_one_person_only(requester_a, requester_b):
    with pytest.raises(ValidationFailed):
        address_add(user=requester_b, email="ALICE@acme.test")
    address_add(user=requester_a, email="shared@mail.test")
    with pytest.raises(ValidationFailed):
        address_primary_set(user=requester_b, email="shared@mail.test", verified=False)
    # The database refuses it too, proved or not, whatever the case.
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailAddress.objects.create(user=requester_b, email="Shared@Mail.test", verified=False)


def test_staff_changing_a_requesters_address_keeps_the_primary_in_sync(admin_user, requester_a):
    services.requester_update(
        user=requester_a,
        actor=admin_user,
        email="alice.new@acme.test",
        first_name="Alice",
        last_name="",
        phone="",
        organisation=requester_a.organisation,
        is_active=True,
    )
    requester_a.refresh_from_db()
    assert requester_a.email == "alice.new@acme.test"
    # Typed by staff, so not proved until Alice confirms it.
    assert addresses(requester_a) == {"alice.new@acme.test": (True, False)}


def test_a_requester_cannot_be_given_another_persons_other_address(
    admin_user, requester_a, requester_b
):
    address_add(user=requester_b, email="bob.home@mail.test")
    with pytest.raises(ValidationFailed):
        services.requester_update(
            user=requester_a,
            actor=admin_user,
            email="bob.home@mail.test",
            first_name="Alice",
            last_name="",
            phone="",
            organisation=None,
            is_active=True,
        )


def test_staff_addresses_are_proved_and_follow_changes(admin_user):
    staff = services.staff_create(
        actor=admin_user,
        email="New.Agent@desk.test",
        first_name="New",
        role="agent",
        support_line=1,
        password="a-long-initial-pass-42",
    )
    assert addresses(staff) == {"new.agent@desk.test": (True, True)}
    services.staff_update(
        user=staff,
        actor=admin_user,
        email="renamed@desk.test",
        first_name="New",
        last_name="",
        role="agent",
        support_line=1,
        is_active=True,
    )
    staff.refresh_from_db()
    assert staff.email == "renamed@desk.test"
    assert addresses(staff) == {"renamed@desk.test": (True, True)}
