"""The side panel: classification and ownership, optimistic locking, tags and watching."""

import re

from helpline.audit.models import Event
from helpline.tickets import services
from helpline.tickets.models import EntryKind, Level, Priority, StatusCategory
from helpline.tickets.tests.factories import TicketFactory, status_of

from .ticket_support import HTMX, site_settings_row, ticket_fixture, url  # noqa: F401


def _form(ticket, **changes):
    """What the side panel posts: every field as shown, with `changes` applied."""
    data = {
        "version": ticket.version,
        "ticket_class": ticket.ticket_class,
        "status": ticket.status_id,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "department": ticket.department_id,
        "assignee": ticket.assignee_id or "",
        "line": ticket.line,
        "reason": "",
    }
    data.update(changes)
    return data


def _assignee_select(html: str) -> str:
    return re.search(r'<select name="assignee".*?</select>', html, re.S).group(0)


def _events(ticket):
    return [
        (field, data["old"], data["new"])
        for field, data in ticket.entries.filter(kind=EntryKind.EVENT).values_list("field", "data")
    ]


def test_only_changed_fields_are_written_with_the_reason(client, dispatcher, ticket):
    client.force_login(dispatcher)
    new, opened = ticket.status, status_of(StatusCategory.OPEN)

    response = client.post(
        url("fields", ticket.pk),
        _form(ticket, status=opened.pk, priority=Priority.HIGH, reason="Customer is a VIP"),
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == opened and ticket.priority == Priority.HIGH
    assert ticket.priority_overridden
    # History keeps ids, codes and numbers, not the names shown at the time.
    assert sorted(_events(ticket)) == [
        ("priority", Priority.NORMAL, Priority.HIGH),
        ("status", {"id": new.pk, "category": "new"}, {"id": opened.pk, "category": "open"}),
    ]
    assert set(ticket.entries.filter(kind=EntryKind.EVENT).values_list("body", flat=True)) == {
        "Customer is a VIP"
    }
    assert Event.objects.filter(action="ticket.updated", object_id=str(ticket.pk)).count() == 1


def test_impact_and_urgency_recompute_the_priority(client, dispatcher, ticket):
    client.force_login(dispatcher)

    client.post(url("fields", ticket.pk), _form(ticket, impact=Level.HIGH, urgency=Level.HIGH))

    ticket.refresh_from_db()
    assert ticket.priority == Priority.CRITICAL and not ticket.priority_overridden


def test_assigning_and_moving_department(client, dispatcher, specialist, ticket, software):
    client.force_login(dispatcher)

    response = client.post(
        url("fields", ticket.pk),
        _form(ticket, department=software.pk, assignee=specialist.pk, line=2),
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee, ticket.line) == (software, specialist, 2)


def test_responsible_who_cannot_see_the_department_is_refused(
    client, dispatcher, billing_agent, ticket
):
    client.force_login(dispatcher)

    response = client.post(url("fields", ticket.pk), _form(ticket, assignee=billing_agent.pk))

    # Bill is not offered (he cannot see Support), so the choice itself is invalid.
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_stale_version_is_a_conflict_and_changes_nothing(client, dispatcher, ticket):
    form = _form(ticket, priority=Priority.LOW)
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Someone was faster")
    client.force_login(dispatcher)

    response = client.post(url("fields", ticket.pk), form, **HTMX)

    assert response.status_code == 409
    html = response.content.decode()
    assert "This request changed while you were working on it" in html
    assert f'href="{url("ticket", ticket.pk)}"' in html  # reload link
    assert f'id="ticket-{ticket.pk}-side"' in html
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert not ticket.entries.filter(kind=EntryKind.EVENT, field="priority").exists()


def test_stale_version_without_htmx(client, dispatcher, ticket):
    form = _form(ticket, priority=Priority.LOW)
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Someone was faster")
    client.force_login(dispatcher)

    response = client.post(url("fields", ticket.pk), form)

    assert response.status_code == 409
    assert "This request changed while you were working on it" in response.content.decode()


def test_htmx_save_answers_with_side_panel_and_history(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("fields", ticket.pk), _form(ticket, priority=Priority.HIGH), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="ticket-{ticket.pk}-side"' in html and f'id="ticket-{ticket.pk}-thread"' in html
    assert "changed priority Normal → High" in html


def test_fields_without_the_assign_right_stay_as_they_are(
    client, external, vendor_department, billing
):
    # The provider may reply (status, class, priority) but not move or assign the request.
    ticket = TicketFactory(department=vendor_department)
    client.force_login(external)

    response = client.post(
        url("fields", ticket.pk), _form(ticket, department=billing.pk, priority=Priority.HIGH)
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.department == vendor_department and ticket.priority == Priority.HIGH


def test_fields_outside_the_department_is_404(client, billing_agent, ticket):
    client.force_login(billing_agent)

    response = client.post(url("fields", ticket.pk), _form(ticket, priority=Priority.LOW))

    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL


def test_tags_are_set_from_a_comma_list(client, dispatcher, ticket):
    client.force_login(dispatcher)

    response = client.post(url("tags", ticket.pk), {"tags": "VPN, windows , ,vpn"}, **HTMX)

    assert response.status_code == 200
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vpn", "windows"]
    assert ("tags", [], ["vpn", "windows"]) in _events(ticket)


def test_watch_and_unwatch(client, dispatcher, ticket):
    client.force_login(dispatcher)

    client.post(url("watch", ticket.pk), {"watch": "1"})
    assert list(ticket.watchers.all()) == [dispatcher]
    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert "Unwatch" in html

    client.post(url("watch", ticket.pk), {"watch": "0"}, **HTMX)
    assert not ticket.watchers.exists()


def test_choosing_a_department_offers_its_people(client, dispatcher, specialist, ticket, software):
    client.force_login(dispatcher)

    html = client.get(url("ticket", ticket.pk)).content.decode()
    assert f'<option value="{specialist.pk}"' not in _assignee_select(html)  # Sam: not Support

    response = client.get(
        url("ticket", ticket.pk) + f"?part=assignee&department={software.pk}", **HTMX
    )

    fragment = response.content.decode()
    assert fragment.startswith(f'<div id="ticket-{ticket.pk}-assignee">')
    assert f'<option value="{specialist.pk}"' in _assignee_select(fragment)
    assert f'<option value="{dispatcher.pk}"' in _assignee_select(
        fragment
    )  # inherited from Support
