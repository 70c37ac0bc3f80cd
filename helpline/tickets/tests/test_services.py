"""A request's life through the services: history, rights, lifecycle timestamps."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpline.audit.models import Event
from helpline.core.errors import Conflict, PermissionDenied, ValidationFailed
from helpline.core.reference import changed as reference_changed
from helpline.tickets import services
from helpline.tickets.models import Channel, EntryKind, Level, Priority, StatusCategory
from helpline.tickets.services._common import default_status


@pytest.fixture
def ticket(requester_a, support):
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN drops every hour",
        body="Since Monday the VPN disconnects.",
        channel=Channel.PORTAL,
        department=support,
    )


def test_create_sets_defaults_and_first_entry(ticket, requester_a, org_a):
    assert ticket.status_category == StatusCategory.NEW
    assert ticket.organisation == org_a
    assert ticket.priority == Priority.NORMAL
    assert ticket.line == 1
    entry = ticket.entries.get()
    assert entry.kind == EntryKind.REPLY and entry.author == requester_a


def test_empty_subject_is_refused_and_nothing_is_written(requester_a, support):
    with pytest.raises(ValidationFailed):
        services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="  ",
            body="x",
            channel=Channel.PORTAL,
            department=support,
        )
    assert not requester_a.requested_tickets.exists()


def test_first_staff_reply_opens_and_sets_first_response(ticket, dispatcher):
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Which client version?")
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.first_response_at is not None
    assert ticket.entries.filter(kind=EntryKind.EVENT, field="status").exists()
    assert Event.objects.filter(action="ticket.replied", object_id=str(ticket.pk)).exists()


def test_escalation_to_second_line_department_records_every_handover(
    ticket, dispatcher, software, specialist
):
    services.ticket_take(ticket=ticket, actor=dispatcher)
    services.ticket_escalate(
        ticket=ticket, actor=dispatcher, department=software, reason="Needs a specialist"
    )
    ticket.refresh_from_db()
    assert (ticket.department, ticket.line, ticket.assignee) == (software, 2, None)
    fields = list(ticket.entries.filter(kind=EntryKind.EVENT).values_list("field", flat=True))
    assert fields.count("assignee") == 2 and "department" in fields and "line" in fields
    services.ticket_take(ticket=ticket, actor=specialist)
    ticket.refresh_from_db()
    assert ticket.assignee == specialist


def test_agent_outside_department_cannot_change(ticket, billing_agent):
    with pytest.raises(PermissionDenied):
        services.ticket_update(
            ticket=ticket, actor=billing_agent, status=default_status(StatusCategory.OPEN)
        )
    with pytest.raises(PermissionDenied):
        services.ticket_note_add(ticket=ticket, actor=billing_agent, body="peek")


def test_stale_version_is_a_conflict(ticket, dispatcher):
    version = ticket.version
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="first")
    with pytest.raises(Conflict):
        services.ticket_update(
            ticket=ticket, actor=dispatcher, expected_version=version, priority=Priority.HIGH
        )


def test_impact_and_urgency_follow_the_matrix_until_overridden(ticket, dispatcher):
    services.ticket_update(ticket=ticket, actor=dispatcher, impact=Level.HIGH, urgency=Level.HIGH)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.CRITICAL
    services.ticket_update(ticket=ticket, actor=dispatcher, priority=Priority.LOW)
    services.ticket_update(ticket=ticket, actor=dispatcher, urgency=Level.MEDIUM)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.LOW and ticket.priority_overridden


def test_requester_confirms_or_reopens_resolved(ticket, dispatcher, requester_a):
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.RESOLVED)
    )
    services.ticket_reopen(ticket=ticket, actor=requester_a, reason="Still drops")
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN and ticket.resolved_at is None
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.RESOLVED)
    )
    services.ticket_confirm_solved(ticket=ticket, actor=requester_a)
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED and ticket.closed_at is not None


def test_other_requester_cannot_confirm(ticket, dispatcher, requester_b):
    services.ticket_update(
        ticket=ticket, actor=dispatcher, status=default_status(StatusCategory.RESOLVED)
    )
    with pytest.raises(PermissionDenied):
        services.ticket_confirm_solved(ticket=ticket, actor=requester_b)


def test_trash_restore_purge(ticket, dispatcher, supervisor, support):
    from helpline.accounts.models import DepartmentMembership

    DepartmentMembership.objects.filter(user=dispatcher).update(can_manage=True)
    reference_changed()  # a queryset update sends no signal; services save
    dispatcher._helpline_access = None
    services.ticket_delete(ticket=ticket, actor=dispatcher)
    ticket.refresh_from_db()
    assert ticket.is_deleted
    with pytest.raises(PermissionDenied):
        services.ticket_restore(ticket=ticket, actor=dispatcher)
    services.ticket_restore(ticket=ticket, actor=supervisor)
    ticket.refresh_from_db()
    assert not ticket.is_deleted
    with pytest.raises(ValidationFailed):
        services.ticket_purge(ticket=ticket, actor=supervisor)
    services.ticket_delete(ticket=ticket, actor=supervisor)
    services.ticket_purge(ticket=ticket, actor=supervisor)
    assert not type(ticket).objects.filter(pk=ticket.pk).exists()
    assert Event.objects.filter(action="ticket.purged").exists()


def test_merge_moves_thread_and_closes_source(ticket, requester_a, dispatcher, support):
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN again",
        body="Same problem",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_merge(source=other, target=ticket, actor=dispatcher)
    other.refresh_from_db()
    assert other.merged_into == ticket and other.status_category == StatusCategory.CLOSED
    assert ticket.entries.filter(body="Same problem").exists()


def test_merge_across_requesters_is_refused(ticket, requester_b, dispatcher, support):
    other = services.ticket_create(
        actor=requester_b,
        requester=requester_b,
        subject="Mine",
        body="Private",
        channel=Channel.PORTAL,
        department=support,
    )
    with pytest.raises(ValidationFailed):
        services.ticket_merge(source=other, target=ticket, actor=dispatcher)


def test_attachment_type_is_read_from_content(db):
    exe = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(ValidationFailed):
        services.attachment_validate(exe)
    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.7\n" + b"x" * 100)
    checked = services.attachment_validate(pdf)
    assert checked.content_type == "application/pdf"
    svg = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert services.attachment_validate(svg).content_type == "application/octet-stream"
