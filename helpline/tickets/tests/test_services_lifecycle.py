"""The lifecycle services (opening, thread, confirmation, trash) called directly with actors who
may not act: each refuses with a domain error and writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpline.accounts.tests.factories import MembershipFactory, StaffFactory, UserFactory
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.tickets import services
from helpline.tickets.models import Attachment, Channel, Entry, StatusCategory, Ticket
from helpline.tickets.services._common import default_status
from helpline.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def create(actor, requester, department, **extra):
    return services.ticket_create(
        actor=actor,
        requester=requester,
        subject="Printer jammed",
        body="Paper everywhere.",
        channel=Channel.PHONE,
        department=department,
        **extra,
    )


@pytest.fixture
def ticket(requester_a, support):
    return create(requester_a, requester_a, support)


@pytest.fixture
def resolved(ticket, dispatcher):
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.RESOLVED)
    )
    ticket.refresh_from_db()
    return ticket


def entries(ticket) -> int:
    return Entry.objects.filter(ticket=ticket).count()


# --- ticket_create --------------------------------------------------------------------------


def test_agent_cannot_open_a_request_where_they_lack_the_reply_right(
    billing_agent, requester_a, support
):
    with pytest.raises(PermissionDenied):
        create(billing_agent, requester_a, support)
    assert not Ticket.objects.exists()


def test_view_right_alone_does_not_open_requests(requester_a, support):
    viewer = StaffFactory()
    MembershipFactory(user=viewer, department=support, can_reply=False)
    with pytest.raises(PermissionDenied):
        create(viewer, requester_a, support)


def test_agent_opens_a_request_in_their_department(dispatcher, requester_a, support):
    ticket = create(dispatcher, requester_a, support, assignee=dispatcher)
    assert ticket.assignee == dispatcher
    assert Event.objects.filter(action="ticket.created").exists()


def test_making_someone_responsible_on_opening_needs_the_assign_right(
    external, requester_a, vendor_department
):
    # The external provider may reply in their department but not assign (conftest).
    TicketFactory(requester=requester_a, department=vendor_department)
    with pytest.raises(PermissionDenied):
        create(external, requester_a, vendor_department, assignee=external)
    assert create(external, requester_a, vendor_department).assignee is None


def test_the_responsible_person_must_see_the_department(
    dispatcher, billing_agent, requester_a, support
):
    with pytest.raises(ValidationFailed) as caught:
        create(dispatcher, requester_a, support, assignee=billing_agent)
    assert caught.value.field == "assignee"
    assert not Ticket.objects.exists()


def test_a_requester_opens_requests_only_for_themself(requester_a, requester_b, support):
    with pytest.raises(PermissionDenied):
        create(requester_a, requester_b, support)
    with pytest.raises(PermissionDenied):
        create(requester_a, requester_a, support, assignee=StaffFactory())
    assert not Ticket.objects.exists()


def test_a_requester_opens_anywhere_for_themself(requester_a, billing):
    assert create(requester_a, requester_a, billing).department == billing


def test_external_provider_opens_only_for_requesters_of_their_work(
    external, requester_a, requester_b, vendor_department
):
    TicketFactory(requester=requester_a, department=vendor_department)
    with pytest.raises(PermissionDenied):
        create(external, requester_b, vendor_department)
    with pytest.raises(PermissionDenied):
        create(external, UserFactory(email="new@caller.test"), vendor_department)
    assert create(external, requester_a, vendor_department).requester == requester_a


def test_nobody_opens_a_request_without_an_actor(requester_a, support):
    with pytest.raises(PermissionDenied):
        create(None, requester_a, support)


# --- attachments: the service checks what it stores -----------------------------------------


def test_a_raw_upload_is_checked_by_the_service(requester_a, support):
    exe = SimpleUploadedFile("invoice.exe", b"MZ\x90\x00\x03\x00\x00\x00")
    with pytest.raises(ValidationFailed):
        create(requester_a, requester_a, support, files=[exe])
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_a_raw_upload_that_passes_is_stored_with_the_checked_name(ticket, requester_a):
    upload = SimpleUploadedFile("../../etc/notes.txt", b"hello")
    entry = services.ticket_reply_add(
        ticket=ticket, actor=requester_a, body="See file", files=[upload]
    )
    assert [a.filename for a in entry.attachments.all()] == ["notes.txt"]


def test_something_that_is_not_an_upload_is_refused(ticket, dispatcher):
    with pytest.raises(ValidationFailed):
        services.ticket_note_add(ticket=ticket, actor=dispatcher, body="x", files=["/etc/passwd"])


# --- replies and notes ----------------------------------------------------------------------


def test_a_requester_cannot_reply_to_someone_elses_request(ticket, requester_b):
    before = entries(ticket)
    with pytest.raises(PermissionDenied):
        services.ticket_reply_add(ticket=ticket, actor=requester_b, body="Me too")
    assert entries(ticket) == before


def test_a_colleague_reads_but_does_not_answer_by_default(ticket, requester_a2, org_a):
    org_a.shared_requests = True
    org_a.save()
    with pytest.raises(PermissionDenied) as caught:
        services.ticket_reply_add(ticket=ticket, actor=requester_a2, body="Same here")
    assert "read this request, not answer it" in caught.value.message
    org_a.colleagues_may_act = True
    org_a.save()
    services.ticket_reply_add(ticket=ticket, actor=requester_a2, body="Same here")
    assert ticket.entries.filter(author=requester_a2).exists()


def test_staff_without_the_reply_right_cannot_reply(ticket, billing_agent, external):
    for actor in (billing_agent, external):
        with pytest.raises(PermissionDenied):
            services.ticket_reply_add(ticket=ticket, actor=actor, body="Hi")
    assert entries(ticket) == 1


def test_a_trashed_request_takes_no_requester_reply(ticket, requester_a, supervisor):
    services.ticket_delete(ticket=ticket, actor=supervisor)
    with pytest.raises(PermissionDenied):
        services.ticket_reply_add(ticket=ticket, actor=requester_a, body="Hello?")


def test_notes_need_staff_who_can_see_the_request(ticket, requester_a, billing_agent):
    for actor in (requester_a, billing_agent):
        with pytest.raises(PermissionDenied):
            services.ticket_note_add(ticket=ticket, actor=actor, body="psst")
    assert entries(ticket) == 1


# --- confirm and reopen ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["requester_b", "requester_a2", "dispatcher", "supervisor"])
def test_only_the_requester_confirms_or_reopens(request, resolved, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.ticket_confirm_solved(ticket=resolved, actor=actor)
    with pytest.raises(PermissionDenied):
        services.ticket_reopen(ticket=resolved, actor=actor, reason="Still broken")
    resolved.refresh_from_db()
    assert resolved.status_category == StatusCategory.RESOLVED


def test_a_sharing_colleague_confirms_only_when_allowed(resolved, requester_a2, org_a):
    org_a.shared_requests = True
    org_a.save()
    with pytest.raises(PermissionDenied):
        services.ticket_confirm_solved(ticket=resolved, actor=requester_a2)
    org_a.colleagues_may_act = True
    org_a.save()
    services.ticket_confirm_solved(ticket=resolved, actor=requester_a2)
    resolved.refresh_from_db()
    assert resolved.status_category == StatusCategory.CLOSED


def test_a_sharing_colleague_reopens_only_when_allowed(resolved, requester_a2, org_a):
    org_a.shared_requests = True
    org_a.save()
    with pytest.raises(PermissionDenied):
        services.ticket_reopen(ticket=resolved, actor=requester_a2, reason="No")
    org_a.colleagues_may_act = True
    org_a.save()
    services.ticket_reopen(ticket=resolved, actor=requester_a2, reason="No")
    resolved.refresh_from_db()
    assert resolved.status_category == StatusCategory.OPEN


# --- trash ----------------------------------------------------------------------------------


def test_trashing_needs_the_manage_right(ticket, dispatcher, requester_a):
    for actor in (dispatcher, requester_a):
        with pytest.raises(PermissionDenied):
            services.ticket_delete(ticket=ticket, actor=actor)
    ticket.refresh_from_db()
    assert not ticket.is_deleted


def test_a_manager_of_the_department_trashes(ticket, support):
    manager = StaffFactory()
    MembershipFactory(user=manager, department=support, can_manage=True)
    assert services.ticket_delete(ticket=ticket, actor=manager).is_deleted


def test_restore_and_purge_are_for_supervisors(ticket, supervisor, support):
    manager = StaffFactory()
    MembershipFactory(user=manager, department=support, can_manage=True)
    services.ticket_delete(ticket=ticket, actor=manager)
    with pytest.raises(PermissionDenied):
        services.ticket_restore(ticket=ticket, actor=manager)
    with pytest.raises(PermissionDenied):
        services.ticket_purge(ticket=ticket, actor=manager)
    supervisor.is_active = False
    with pytest.raises(PermissionDenied):
        services.ticket_purge(ticket=ticket, actor=supervisor)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
