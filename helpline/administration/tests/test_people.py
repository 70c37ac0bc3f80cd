"""Organisations and requesters: their services' events and their pages."""

import pytest
from django.urls import reverse

from helpline.accounts.models import Organisation
from helpline.accounts.services import organisation_save, requester_update
from helpline.accounts.tests.factories import UserFactory
from helpline.audit.models import Event
from helpline.core.errors import ValidationFailed


def last_event(action: str) -> Event:
    return Event.objects.filter(action=action).order_by("-id").first()


def test_organisation_create_and_change(admin_user):
    org = organisation_save(
        organisation=Organisation(name="Initech", domain="@Initech.Test"), actor=admin_user
    )
    assert org.domain == "initech.test"
    assert last_event("organisation.created").changes["domain"] == [None, "initech.test"]
    org.shared_requests = True
    organisation_save(organisation=org, actor=admin_user)
    assert last_event("organisation.changed").changes == {"shared_requests": [False, True]}
    org.colleagues_may_act = True
    organisation_save(organisation=org, actor=admin_user)
    assert last_event("organisation.changed").changes == {"colleagues_may_act": [False, True]}


def test_organisation_form_sets_whether_colleagues_may_act(client, admin_user, org_a):
    client.force_login(admin_user)
    url = reverse("manage:organisation", args=[org_a.pk])
    assert "members may act on each other" in client.get(url).content.decode().lower()
    data = {"name": org_a.name, "domain": org_a.domain, "is_active": "on"}
    data |= {"shared_requests": "on", "colleagues_may_act": "on"}
    assert client.post(url, data).status_code == 302
    org_a.refresh_from_db()
    assert org_a.shared_requests and org_a.colleagues_may_act


@pytest.mark.parametrize("domain", ["acme.test", "not a domain", "nodot"])
def test_organisation_domain_is_checked(admin_user, org_a, domain):
    with pytest.raises(ValidationFailed) as caught:
        organisation_save(organisation=Organisation(name="Other", domain=domain), actor=admin_user)
    assert caught.value.field == "domain"
    assert not Organisation.objects.filter(name="Other").exists()


def test_requester_update_records_before_and_after(admin_user, requester_a, org_b):
    requester_update(
        user=requester_a,
        actor=admin_user,
        email="alice@acme.test",
        first_name="Alice",
        last_name="Liddell",
        phone="+47 22 00 00 00",
        organisation=org_b,
        is_active=True,
    )
    changes = last_event("requester.changed").changes
    assert changes["organisation"] == ["Acme", "Globex"]
    assert changes["phone"] == ["", "+47 22 00 00 00"]
    assert "email" not in changes


def test_requester_email_must_be_free(admin_user, requester_a, requester_b):
    with pytest.raises(ValidationFailed) as caught:
        requester_update(
            user=requester_a,
            actor=admin_user,
            email="BOB@globex.test",
            first_name="",
            last_name="",
            phone="",
            organisation=None,
            is_active=True,
        )
    assert caught.value.field == "email"


def test_staff_are_not_edited_as_requesters(admin_user, dispatcher):
    with pytest.raises(ValidationFailed):
        requester_update(
            user=dispatcher,
            actor=admin_user,
            email=dispatcher.email,
            first_name="",
            last_name="",
            phone="",
            organisation=None,
            is_active=False,
        )


# --- pages ----------------------------------------------------------------------------------


def test_organisation_list_counts_members_and_requests(client, admin_user, requester_a, org_a):
    from helpline.tickets.tests.factories import TicketFactory

    TicketFactory(requester=requester_a)
    TicketFactory(requester=requester_a)
    UserFactory(organisation=org_a)
    client.force_login(admin_user)
    rows = {o.name: o for o in client.get(reverse("manage:organisations")).context["organisations"]}
    assert rows["Acme"].member_count == 2
    assert rows["Acme"].ticket_count == 2


def test_organisation_form_shows_service_refusal(client, admin_user, org_a):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:organisation_new"),
        {"name": "Copycat", "domain": "acme.test", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "already uses this mail domain" in response.content.decode()
    assert not Organisation.objects.filter(name="Copycat").exists()


def test_requester_search_and_next_page(client, admin_user, org_a):
    for n in range(3):
        UserFactory(email=f"r{n}@acme.test", organisation=org_a)
    UserFactory(email="zed@elsewhere.test", first_name="Zed")
    client.force_login(admin_user)
    url = reverse("manage:requesters")

    # A small page size shows the keyset link without building 50 rows.
    from helpline.administration import selectors

    page = selectors.requester_page(q="acme", size=2)
    assert [u.email for u in page.requesters] == ["r0@acme.test", "r1@acme.test"]
    assert page.next_after == "r1@acme.test"
    page = selectors.requester_page(q="acme", after=page.next_after, size=2)
    assert [u.email for u in page.requesters] == ["r2@acme.test"]
    assert page.next_after is None

    found = client.get(url, {"q": "Zed"}).context["result"].requesters
    assert [u.email for u in found] == ["zed@elsewhere.test"]
    found = client.get(url, {"q": "Acme"}).context["result"].requesters  # organisation name
    assert len(found) == 3


def test_requester_page_saves(client, admin_user, requester_a):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:requester", args=[requester_a.pk]),
        {"email": "alice@acme.test", "first_name": "Alicia", "phone": "123"},
    )
    assert response.status_code == 302
    requester_a.refresh_from_db()
    assert requester_a.first_name == "Alicia" and requester_a.is_active is False


def test_person_link_goes_to_the_right_page(client, admin_user, dispatcher, requester_a):
    client.force_login(admin_user)
    response = client.get(reverse("manage:person", args=[dispatcher.pk]))
    assert response["Location"] == reverse("manage:staff_edit", args=[dispatcher.pk])
    response = client.get(reverse("manage:person", args=[requester_a.pk]))
    assert response["Location"] == reverse("manage:requester", args=[requester_a.pk])
