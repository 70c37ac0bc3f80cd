"""A request logged by staff for a caller: finding or registering the requester, validation."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpline.accounts.addresses import address_add
from helpline.accounts.models import Role, User
from helpline.accounts.tests.factories import StaffFactory, UserFactory
from helpline.audit.models import Event
from helpline.core.models import SiteSettings
from helpline.tickets.models import Attachment, Channel, Priority, Ticket, TicketClass

NEW = reverse("desk:new")
LOOKUP = reverse("desk:requester_lookup")


def listed(response) -> set[int]:
    """The requesters offered as radio buttons in a look-up fragment."""
    return {
        int(pk) for pk in re.findall(r'name="requester" value="(\d+)"', response.content.decode())
    }


def form(**overrides):
    data = {
        "channel": Channel.PHONE,
        "subject": "Cannot print invoices",
        "body": "Caller says the printer shows error 42.",
        "ticket_class": TicketClass.INCIDENT,
        "impact": "3",
        "urgency": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_page_defaults_to_a_phone_call_in_the_agents_first_department(
    client, dispatcher, support, software, billing
):
    client.force_login(dispatcher)
    response = client.get(NEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="phone" class="btn-check" id="id_channel_0" required checked' in html
    departments = [v for v, _ in response.context["form"].fields["department"].choices]
    assert departments == [str(support.pk), str(software.pk)]  # not Billing
    assert response.context["form"]["department"].value() == support.pk


def test_existing_requester_phone_call(client, dispatcher, support, requester_a, org_a):
    client.force_login(dispatcher)

    response = client.post(
        NEW, form(requester=str(requester_a.pk), department=str(support.pk), assign_to_me="on")
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.pk])
    assert ticket.requester == requester_a and ticket.organisation == org_a
    assert ticket.channel == Channel.PHONE
    assert ticket.assignee == dispatcher
    assert ticket.priority == Priority.CRITICAL  # impact 3 × urgency 3
    entry = ticket.entries.get()
    assert entry.author == dispatcher and entry.body.startswith("Caller says")
    assert Event.objects.filter(action="ticket.created", actor=dispatcher).exists()


def test_walk_in_with_a_new_requester(client, dispatcher, support, org_a):
    client.force_login(dispatcher)

    response = client.post(
        NEW,
        form(
            channel=Channel.STAFF,
            department=str(support.pk),
            new_name="Walter White",
            new_email="Walter@Acme.test",
            new_phone="+47 555 12 345",
        ),
    )

    assert response.status_code == 302
    person = User.objects.get(email="walter@acme.test")
    assert (person.first_name, person.last_name, person.phone) == (
        "Walter",
        "White",
        "+47 555 12 345",
    )
    assert person.role == Role.REQUESTER and person.organisation == org_a  # from the domain
    ticket = Ticket.objects.get()
    assert ticket.requester == person and ticket.channel == Channel.STAFF
    assert ticket.assignee is None


def test_new_requester_with_a_known_address_reuses_them(client, dispatcher, support, requester_a):
    client.force_login(dispatcher)
    client.post(NEW, form(department=str(support.pk), new_email="ALICE@acme.test"))
    assert Ticket.objects.get().requester == requester_a


def test_attachments_are_stored(client, dispatcher, support, requester_a):
    client.force_login(dispatcher)
    files = [
        SimpleUploadedFile("notes.txt", b"printer log", content_type="text/plain"),
        SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png"),
    ]
    client.post(
        NEW, form(requester=str(requester_a.pk), department=str(support.pk), attachments=files)
    )
    assert sorted(Attachment.objects.values_list("filename", flat=True)) == [
        "notes.txt",
        "shot.png",
    ]


def test_a_bad_attachment_creates_nothing(client, dispatcher, support):
    client.force_login(dispatcher)
    SiteSettings.current()
    files = [
        SimpleUploadedFile("fine.txt", b"hello"),
        SimpleUploadedFile("invoice.pdf.exe", b"MZ\x90\x00" + b"\x00" * 200),
    ]

    response = client.post(
        NEW,
        form(department=str(support.pk), new_email="new@caller.test", attachments=files),
    )

    assert response.status_code == 200
    assert "invoice.pdf.exe is a type of file that is not accepted here." in (
        response.content.decode()
    )
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not User.objects.filter(email="new@caller.test").exists()


def test_oversized_attachment_is_refused(client, dispatcher, support, requester_a):
    settings_row = SiteSettings.current()
    settings_row.max_attachment_mb = 1
    settings_row.save()
    client.force_login(dispatcher)
    big = SimpleUploadedFile("dump.bin", b"0" * (1024 * 1024 + 1))
    response = client.post(
        NEW, form(requester=str(requester_a.pk), department=str(support.pk), attachments=[big])
    )
    assert "dump.bin is larger than the 1 MB allowed." in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({}, "requester", "Find the requester, or enter a new requester's details."),
        ({"new_name": "Nameless"}, "new_email", "A new requester needs an email address."),
        ({"new_email": "not-an-address"}, "new_email", "Enter a valid email address."),
        ({"subject": ""}, "subject", "This field is required."),
        ({"body": ""}, "body", "This field is required."),
        ({"channel": "portal"}, "channel", "Select a valid choice."),
    ],
)
def test_validation(client, dispatcher, support, overrides, field, message):
    client.force_login(dispatcher)
    response = client.post(NEW, form(department=str(support.pk), **overrides))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert 'class="form-' in response.content.decode()
    assert not Ticket.objects.exists()


def test_both_a_found_and_a_new_requester_is_refused(client, dispatcher, support, requester_a):
    client.force_login(dispatcher)
    response = client.post(
        NEW,
        form(requester=str(requester_a.pk), department=str(support.pk), new_email="x@y.test"),
    )
    assert "not both" in response.content.decode()
    assert not Ticket.objects.exists()


def test_department_outside_the_agents_reach_is_refused(client, dispatcher, billing, requester_a):
    client.force_login(dispatcher)
    response = client.post(NEW, form(requester=str(requester_a.pk), department=str(billing.pk)))
    assert "department" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_staff_cannot_be_picked_as_the_found_requester(client, dispatcher, support, specialist):
    client.force_login(dispatcher)
    response = client.post(NEW, form(requester=str(specialist.pk), department=str(support.pk)))
    assert "requester" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_failed_post_keeps_the_chosen_requester(client, dispatcher, support, requester_a):
    client.force_login(dispatcher)
    response = client.post(
        NEW, form(requester=str(requester_a.pk), department=str(support.pk), subject="")
    )
    html = response.content.decode()
    assert f'name="requester" value="{requester_a.pk}" checked' in html


def test_search_without_javascript(client, dispatcher, requester_a, requester_b):
    client.force_login(dispatcher)
    html = client.get(NEW, {"find": "alice"}).content.decode()
    assert requester_a.email in html and requester_b.email not in html


# --- requester look-up ----------------------------------------------------------------------


def test_lookup_by_name_email_or_phone(client, dispatcher, requester_a, requester_a2, requester_b):
    requester_b.phone = "+47 911 22 333"
    requester_b.save()
    client.force_login(dispatcher)

    def found(text):
        response = client.get(LOOKUP, {"find": text})
        assert response.status_code == 200
        return listed(response)

    assert found("Alice") == {requester_a.pk}
    assert found("acme.test") == {requester_a.pk, requester_a2.pk}
    assert found("911 22") == {requester_b.pk}
    assert found("alice acme") == {requester_a.pk}
    assert found("a") == set()  # too short to mean anything
    assert found("nobody-like-this") == set()


def test_lookup_never_offers_staff(client, dispatcher, specialist):
    client.force_login(dispatcher)
    response = client.get(LOOKUP, {"find": "desk.test"})
    assert listed(response) == set()
    assert "Nobody matches" in response.content.decode()


def test_lookup_keeps_the_selected_requester(client, dispatcher, requester_a, requester_b):
    client.force_login(dispatcher)
    response = client.get(LOOKUP, {"find": "bob", "requester": str(requester_a.pk)})
    html = response.content.decode()
    assert re.findall(r'name="requester" value="(\d+)"', html) == [
        str(requester_a.pk),
        str(requester_b.pk),
    ]
    assert f'value="{requester_a.pk}" checked' in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("rows", [1, 20])
def test_lookup_query_count_is_constant(client, django_assert_num_queries, dispatcher, org_a, rows):
    UserFactory.create_batch(rows, first_name="Caller", organisation=org_a)
    StaffFactory(first_name="Caller")  # never listed
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 the reference generation, 4 site settings (reference data: read on
    # a process's first request after a change, as here), 5 matching requesters with their
    # organisation.
    with django_assert_num_queries(5):
        response = client.get(LOOKUP, {"find": "caller"})
    assert len(listed(response)) == min(rows, 10)


@pytest.mark.parametrize("rows", [1, 20])
def test_new_page_query_count_is_constant(
    client, django_assert_num_queries, settings, dispatcher, support, rows
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }
    UserFactory.create_batch(rows, first_name="Caller")
    SiteSettings.current()
    client.force_login(dispatcher)
    # 1 session, 2 user, 3 departments, 4-5 access (memberships, department paths), 6 the
    # found requesters, 7 organisations for a new requester, 8 site settings, 9 sidebar counts,
    # 10 the saved views in the sidebar (none yet: nothing more to count), 11 who is away
    # (the header's own status; reference data, none once warm).
    with django_assert_num_queries(11):
        response = client.get(NEW, {"find": "caller"})
    assert len(response.context["matches"]) == min(rows, 10)


def test_a_staff_address_for_a_caller_needs_an_explicit_confirmation(
    client, dispatcher, specialist, support
):
    client.force_login(dispatcher)
    data = form(department=str(support.pk), new_name="Caller", new_email="Specialist@desk.test")

    # When the agent types a colleague's address for a caller
    response = client.post(NEW, data)

    # Then nothing is filed, and they are warned whose account it is, with a box to tick
    html = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "belongs to the staff account of Sam" in html
    assert "data-hl-staff-address-warning" in html and 'name="confirm_staff_address"' in html
    assert "Cannot print invoices" in html  # what was typed is kept

    # When they confirm, the request is filed under the staff account, and that is recorded
    response = client.post(NEW, {**data, "confirm_staff_address": "on"})
    assert response.status_code == 302
    assert Ticket.objects.get().requester == specialist
    assert Event.objects.filter(
        action="requester.staff_address_used", actor=dispatcher, object_id=str(specialist.pk)
    ).exists()
    specialist.refresh_from_db()
    assert specialist.first_name == "Sam"  # the name typed for the caller changes nothing


def test_no_staff_address_warning_for_requesters(client, dispatcher, support, requester_a):
    client.force_login(dispatcher)
    response = client.get(NEW)
    assert "data-hl-staff-address-warning" not in response.content.decode()


def test_the_requester_search_finds_a_caller_by_another_address(client, dispatcher, requester_a):
    address_add(user=requester_a, email="alice.home@mail.test")
    client.force_login(dispatcher)
    assert listed(client.get(LOOKUP, {"find": "alice.home"})) == {requester_a.pk}


def test_a_new_requesters_name_too_long_is_refused_not_cut(client, dispatcher, support):
    client.force_login(dispatcher)
    response = client.post(
        NEW,
        form(department=str(support.pk), new_email="long@name.test", new_name="N" * 151 + " X"),
    )
    assert response.status_code == 200
    assert "at most 150 characters" in response.context["form"].errors["new_name"][0]
    assert not User.objects.filter(email="long@name.test").exists()
    assert not Ticket.objects.exists()
