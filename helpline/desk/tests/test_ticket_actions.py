"""Actions on the ticket page, one service each: their happy paths and their refusals."""

import json

from django.utils.html import escape

from helpline.accounts.models import DepartmentMembership
from helpline.core.reference import changed as reference_changed
from helpline.tickets import services
from helpline.tickets.models import Channel, EntryKind, StatusCategory, Ticket
from helpline.tickets.tests.factories import TicketFactory

from .ticket_support import HTMX, site_settings_row, ticket_fixture, url  # noqa: F401


def _state(ticket):
    ticket.refresh_from_db()
    return (
        ticket.department_id,
        ticket.assignee_id,
        ticket.line,
        ticket.status_id,
        ticket.version,
        ticket.entries.count(),
    )


def test_take_makes_me_responsible_and_opens(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("take", ticket.pk), **HTMX)

    assert response.status_code == 200
    assert set(json.loads(response["HX-Trigger"])) >= {"hl-close-modals", "hl-sidebar-stale"}
    ticket.refresh_from_db()
    assert ticket.assignee == dispatcher and ticket.status_category == StatusCategory.OPEN
    html = response.content.decode()
    assert "You are responsible" in html and f"{escape(dispatcher.display_name)} took" in html


def test_take_without_the_assign_right_is_refused(client, dispatcher, ticket):
    DepartmentMembership.objects.filter(user=dispatcher).update(can_assign=False)
    reference_changed()  # a queryset update sends no signal; services save
    before = _state(ticket)
    client.force_login(dispatcher)

    response = client.post(url("take", ticket.pk), **HTMX)

    assert response.status_code == 403
    assert "You do not have the right" in response.content.decode()
    assert _state(ticket) == before

    response = client.post(url("take", ticket.pk))  # plain post: back to the page, with a toast
    assert response.status_code == 302
    assert "You do not have the right" in client.get(response["Location"]).content.decode()
    assert _state(ticket) == before


def test_escalate_to_a_second_line_department_shows_every_handover(
    client, dispatcher, ticket, software
):
    services.ticket_take(ticket=ticket, actor=dispatcher)
    client.force_login(dispatcher)

    response = client.post(
        url("escalate", ticket.pk), {"department": software.pk, "reason": "Needs a specialist"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.department, ticket.line, ticket.assignee) == (software, 2, None)
    html = client.get(url("ticket", ticket.pk)).content.decode()
    name = escape(dispatcher.display_name)
    assert f"{name} handed the request over from Support to Software" in html
    assert f"{name} is no longer responsible" in html
    assert f"{name} moved the request from 1st line (dispatcher) to 2nd line (specialist)" in html
    assert "Needs a specialist" in html
    assert html.count("hl-event hl-event-handover") >= 4  # take + department, person, line


def test_escalate_beyond_the_last_line_is_refused(client, dispatcher, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(line=3)
    before = _state(ticket)
    client.force_login(dispatcher)

    response = client.post(url("escalate", ticket.pk), {"department": "", "reason": ""}, **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert "already at the last line of support" in html
    assert f'id="ticket-{ticket.pk}-escalate-form"' in html
    assert _state(ticket) == before


def test_escalate_without_htmx_reopens_the_dialog_with_the_error(client, dispatcher, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(line=3)
    client.force_login(dispatcher)

    response = client.post(url("escalate", ticket.pk), {"department": "", "reason": ""})

    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="ticket-{ticket.pk}-escalate" tabindex="-1"' in html
    assert "data-hl-modal-open" in html and "already at the last line" in html


def test_hand_to_supervisor_needs_a_reason(client, dispatcher, supervisor, ticket):
    before = _state(ticket)
    client.force_login(dispatcher)

    response = client.post(
        url("hand_to_supervisor", ticket.pk), {"supervisor": supervisor.pk, "reason": ""}, **HTMX
    )

    assert response.status_code == 422
    assert "Give a reason" in response.content.decode()
    assert _state(ticket) == before

    response = client.post(
        url("hand_to_supervisor", ticket.pk),
        {"supervisor": supervisor.pk, "reason": "Angry customer, legal threat"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == supervisor
    assert ticket.entries.filter(body="Angry customer, legal threat", field="assignee").exists()


def test_only_supervisors_are_offered(client, dispatcher, specialist, ticket):
    client.force_login(dispatcher)

    response = client.post(
        url("hand_to_supervisor", ticket.pk), {"supervisor": dispatcher.pk, "reason": "x"}
    )

    assert response.status_code == 422
    assert ticket.assignee is None


def test_transfer_needs_department_and_reason(client, dispatcher, ticket, billing):
    before = _state(ticket)
    client.force_login(dispatcher)

    response = client.post(url("transfer", ticket.pk), {"department": billing.pk, "reason": ""})
    assert response.status_code == 422
    assert _state(ticket) == before

    response = client.post(
        url("transfer", ticket.pk), {"department": billing.pk, "reason": "It is an invoice"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.department == billing
    assert ticket.entries.filter(field="department", body="It is an invoice").exists()


def test_transfer_without_the_assign_right_is_refused(client, external, vendor_department, billing):
    ticket = TicketFactory(department=vendor_department)
    before = _state(ticket)
    client.force_login(external)

    response = client.post(
        url("transfer", ticket.pk), {"department": billing.pk, "reason": "Not ours"}, **HTMX
    )

    assert response.status_code == 403
    assert _state(ticket) == before


def _second(requester, department, subject="VPN again"):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body="Still broken",
        channel=Channel.PORTAL,
        department=department,
    )


def test_merge_into_a_request_of_the_same_requester(client, dispatcher, ticket, requester_a):
    other = _second(requester_a, ticket.department)
    client.force_login(dispatcher)

    response = client.post(url("merge", other.pk), {"target": f"#{ticket.pk}"}, **HTMX)

    assert response["HX-Redirect"] == url("ticket", ticket.pk)
    other.refresh_from_db()
    assert other.merged_into == ticket and other.status_category == StatusCategory.CLOSED
    assert ticket.entries.filter(body="Still broken").exists()


def test_merge_across_requesters_is_refused_with_the_reason(
    client, dispatcher, ticket, requester_b
):
    other = _second(requester_b, ticket.department)
    before = _state(other)
    client.force_login(dispatcher)

    response = client.post(url("merge", other.pk), {"target": ticket.pk}, **HTMX)

    assert response.status_code == 422
    assert "Only requests from the same requester can be merged" in response.content.decode()
    assert _state(other) == before


def test_merge_into_a_request_i_cannot_see(client, dispatcher, ticket, billing, requester_a):
    hidden = _second(requester_a, billing, "Invoice")
    client.force_login(dispatcher)

    response = client.post(url("merge", ticket.pk), {"target": hidden.pk}, **HTMX)

    assert response.status_code == 422
    assert f"There is no request #{hidden.pk} that you can see" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.merged_into is None


def test_link_and_unlink(client, dispatcher, ticket, requester_b):
    other = _second(requester_b, ticket.department, "Outlook asks for a password")
    client.force_login(dispatcher)

    response = client.post(url("link", ticket.pk), {"other": other.pk}, **HTMX)

    assert response.status_code == 200
    assert list(ticket.links.all()) == [other]
    assert "Outlook asks for a password" in response.content.decode()  # listed in the side panel
    assert url("unlink", ticket.pk, other.pk) in response.content.decode()

    response = client.post(url("unlink", ticket.pk, other.pk))
    assert response.status_code == 302
    assert not ticket.links.exists()


def test_link_to_itself_or_garbage_is_refused(client, dispatcher, ticket):
    client.force_login(dispatcher)

    assert client.post(url("link", ticket.pk), {"other": ticket.pk}, **HTMX).status_code == 422
    response = client.post(url("link", ticket.pk), {"other": "abc"}, **HTMX)
    assert response.status_code == 422
    assert "Enter a request number" in response.content.decode()
    assert not ticket.links.exists()


def test_delete_needs_the_manage_right(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("delete", ticket.pk), follow=True)

    assert "You do not have the right" in response.content.decode()
    ticket.refresh_from_db()
    assert not ticket.is_deleted

    DepartmentMembership.objects.filter(user=dispatcher).update(can_manage=True)
    reference_changed()  # a queryset update sends no signal; services save
    client.post(url("delete", ticket.pk))
    ticket.refresh_from_db()
    assert ticket.is_deleted and ticket.deleted_by == dispatcher


def test_restore_and_purge_are_for_supervisors(client, dispatcher, supervisor, ticket):
    services.ticket_delete(ticket=ticket, actor=supervisor)
    client.force_login(dispatcher)

    client.post(url("restore", ticket.pk))
    client.post(url("purge", ticket.pk))
    ticket.refresh_from_db()
    assert ticket.is_deleted

    client.force_login(supervisor)
    response = client.post(url("restore", ticket.pk))
    assert response["Location"] == url("ticket", ticket.pk)
    ticket.refresh_from_db()
    assert not ticket.is_deleted
    assert ticket.entries.filter(kind=EntryKind.EVENT, field="deleted").count() == 2


def test_purge_goes_back_to_the_trash(client, supervisor, ticket):
    services.ticket_delete(ticket=ticket, actor=supervisor)
    client.force_login(supervisor)

    response = client.post(url("purge", ticket.pk))

    assert response.status_code == 302
    assert response["Location"] == url("board") + "?view=trash"
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_purge_outside_the_trash_is_refused(client, supervisor, ticket):
    client.force_login(supervisor)

    response = client.post(url("purge", ticket.pk))

    assert response["Location"] == url("ticket", ticket.pk)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
