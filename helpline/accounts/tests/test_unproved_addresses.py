"""Addresses typed by someone who has not proved them: never a staff account's request, and the
requester registered from one stays unverified."""

import pytest
from allauth.account.models import EmailAddress

from helpline.accounts.addresses import address_add
from helpline.accounts.models import Role, User
from helpline.accounts.services import StaffAddressRefused, requester_register
from helpline.audit.models import Event


def test_a_new_address_registers_an_unverified_requester_in_the_domains_organisation(org_a):
    user = requester_register(email="Stranger@Acme.test", name="Some One")
    assert (user.role, user.organisation) == (Role.REQUESTER, org_a)
    assert not EmailAddress.objects.get(user=user).verified
    assert not user.has_usable_password()


@pytest.mark.parametrize("typed", ["dispatcher@desk.test", "DISPATCHER@Desk.test"])
def test_nobody_unproved_gets_a_staff_account_from_its_address(dispatcher, typed):
    # Given an anonymous visitor or a mail (no actor) using a staff member's address
    with pytest.raises(StaffAddressRefused) as refused:
        requester_register(email=typed, name="Mallory")
    # Then it is refused, saying only "sign in", and nothing about the account changes
    assert "sign" in refused.value.message and "Dana" not in refused.value.message
    assert refused.value.field == "email"
    dispatcher.refresh_from_db()
    assert dispatcher.first_name == "Dana"
    assert not Event.objects.filter(action="requester.staff_address_used").exists()


def test_another_address_of_a_staff_member_is_refused_too(dispatcher):
    address_add(user=dispatcher, email="dana.home@mail.test", verified=True)
    with pytest.raises(StaffAddressRefused):
        requester_register(email="dana.home@mail.test")


def test_a_requester_cannot_confirm_a_staff_address(requester_a, dispatcher):
    with pytest.raises(StaffAddressRefused):
        requester_register(email=dispatcher.email, actor=requester_a, staff_confirmed=True)


def test_staff_entering_a_caller_are_warned_and_may_confirm(specialist, dispatcher):
    # Given an agent typing a colleague's address for a caller
    with pytest.raises(StaffAddressRefused) as warned:
        requester_register(email=dispatcher.email, actor=specialist)
    # Then they are told whose account it is, and must confirm
    assert "Dana" in warned.value.message
    assert warned.value.staff == dispatcher
    assert requester_register(email=dispatcher.email, actor=specialist, staff_confirmed=True) == (
        dispatcher
    )
    event = Event.objects.get(action="requester.staff_address_used")
    assert (event.actor, event.object_id, event.changes) == (
        specialist,
        str(dispatcher.pk),
        {"email": "dispatcher@desk.test"},
    )


def test_requesters_addresses_are_still_found_whoever_types_them(requester_a):
    assert requester_register(email="ALICE@acme.test", name="Mallory") == requester_a
    requester_a.refresh_from_db()
    assert requester_a.first_name == "Alice"
    assert User.objects.filter(email__iexact="alice@acme.test").count() == 1
