"""Bulk actions on the board: each ticket through its service, refusals reported, not fatal."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.audit.models import Event
from helpline.core.reference import changed as reference_changed
from helpline.tickets.models import EntryKind, Priority, StatusCategory
from helpline.tickets.tests.factories import TicketFactory, status_of

BULK = reverse("desk:bulk")
BOARD = reverse("desk:board")


def post(client, ids, action, **fields):
    data = {"ids": [str(i) for i in ids], "action": action, **fields}
    return client.post(BULK, data)


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_assign_to_me_skips_tickets_the_agent_cannot_see(client, dispatcher, support, billing):
    mine = TicketFactory.create_batch(2, department=support)
    foreign = TicketFactory(department=billing)
    client.force_login(dispatcher)

    response = post(client, [t.pk for t in [*mine, foreign]], "assign", assignee="me")

    assert response.status_code == 302
    assert said(response) == ["2 requests updated."]
    for ticket in mine:
        ticket.refresh_from_db()
        assert ticket.assignee == dispatcher
        assert ticket.entries.filter(kind=EntryKind.EVENT, field="assignee").exists()
    foreign.refresh_from_db()
    assert foreign.assignee is None
    assert Event.objects.filter(action="ticket.updated").count() == 2


def test_one_refusal_does_not_stop_the_others(client, dispatcher, specialist, support, software):
    # The specialist works in Software only: the Support request cannot be theirs.
    in_support = TicketFactory(department=support)
    in_software = TicketFactory(department=software)
    client.force_login(dispatcher)

    response = post(client, [in_support.pk, in_software.pk], "assign", assignee=str(specialist.pk))

    in_support.refresh_from_db()
    in_software.refresh_from_db()
    assert in_software.assignee == specialist
    assert in_support.assignee is None
    [message] = said(response)
    assert message.startswith(f"1 updated, 1 skipped: #{in_support.pk} (")
    assert "cannot see requests in this department" in message


def test_transfer_needs_a_reason_and_changes_nothing_without(client, dispatcher, support, billing):
    ticket = TicketFactory(department=support)
    client.force_login(dispatcher)

    response = post(client, [ticket.pk], "transfer", department=str(billing.pk), reason=" ")

    assert said(response) == ["Say why the requests are transferred."]
    ticket.refresh_from_db()
    assert ticket.department == support


def test_transfer_with_reason(client, dispatcher, support, billing):
    tickets = TicketFactory.create_batch(2, department=support)
    client.force_login(dispatcher)

    post(client, [t.pk for t in tickets], "transfer", department=str(billing.pk), reason="Invoice")

    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.department == billing
        entry = ticket.entries.get(field="department")
        assert entry.data == {"old": {"id": support.pk}, "new": {"id": billing.pk}}
        assert entry.body == "Invoice"


def test_set_status_and_priority(client, dispatcher, support):
    tickets = TicketFactory.create_batch(2, department=support)
    pending = status_of(StatusCategory.PENDING)
    client.force_login(dispatcher)

    post(client, [t.pk for t in tickets], "status", status=str(pending.pk))
    post(client, [t.pk for t in tickets], "priority", priority=str(Priority.CRITICAL))

    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status_category == StatusCategory.PENDING
        assert ticket.priority == Priority.CRITICAL and ticket.priority_overridden


def test_delete_needs_the_manage_right(client, dispatcher, support):
    ticket = TicketFactory(department=support)
    client.force_login(dispatcher)

    response = post(client, [ticket.pk], "delete")

    ticket.refresh_from_db()
    assert ticket.deleted_at is None
    assert said(response)[0].startswith("0 updated, 1 skipped")

    dispatcher.memberships.update(can_manage=True)
    reference_changed()  # a queryset update sends no signal; services save
    post(client, [ticket.pk], "delete")
    ticket.refresh_from_db()
    assert ticket.deleted_at is not None and ticket.deleted_by == dispatcher


def test_supervisor_restores_from_the_trash(client, supervisor, support):
    trashed = TicketFactory.create_batch(2, department=support, deleted_at=timezone.now())
    client.force_login(supervisor)

    response = post(client, [t.pk for t in trashed], "restore", back="view=trash")

    assert response["Location"] == f"{BOARD}?view=trash"
    for ticket in trashed:
        ticket.refresh_from_db()
        assert ticket.deleted_at is None


def test_redirects_back_to_the_same_view_and_filters(client, dispatcher, support):
    ticket = TicketFactory(department=support)
    client.force_login(dispatcher)
    back = "view=mine&priority=3&after=abc&next=https://evil.test/&q=vpn"

    response = post(client, [ticket.pk], "assign", assignee="me", back=back)

    assert response["Location"] == f"{BOARD}?view=mine&priority=3&q=vpn&after=abc"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "assign"}, "Select requests first."),
        ({"ids": ["1"], "action": "assign"}, "Choose who gets the requests."),
        ({"ids": ["1"], "action": "status"}, "Choose a status."),
        ({"ids": ["x"], "action": "assign", "assignee": "me"}, "Invalid selection."),
        ({"ids": ["1"], "action": "explode"}, "Select a valid choice"),
    ],
)
def test_bad_input_changes_nothing(client, dispatcher, support, fields, message):
    ticket = TicketFactory(department=support)
    fields = {k: [str(ticket.pk)] if k == "ids" and v == ["1"] else v for k, v in fields.items()}
    client.force_login(dispatcher)

    response = client.post(BULK, fields)

    assert response.status_code == 302
    assert any(m.startswith(message) for m in said(response))
    ticket.refresh_from_db()
    assert ticket.version == 1


def test_only_ids_the_agent_cannot_see(client, dispatcher, billing):
    hidden = TicketFactory(department=billing)
    client.force_login(dispatcher)
    response = post(client, [hidden.pk], "assign", assignee="me")
    assert said(response) == ["None of the selected requests could be found."]
    hidden.refresh_from_db()
    assert hidden.assignee is None


def test_get_is_not_allowed(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(BULK).status_code == 405


def test_bulk_needs_csrf(dispatcher, support):
    ticket = TicketFactory(department=support)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(dispatcher)
    response = strict.post(BULK, {"ids": [ticket.pk], "action": "assign", "assignee": "me"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_board_offers_restore_only_in_the_trash_to_supervisors(client, supervisor, support):
    TicketFactory(department=support, deleted_at=timezone.now())
    TicketFactory(department=support)
    client.force_login(supervisor)
    trash = client.get(BOARD, {"view": "trash"}).content.decode()
    board = client.get(BOARD, {"view": "open"}).content.decode()
    assert 'value="restore"' in trash and 'value="delete"' not in trash
    assert 'value="delete"' in board and 'value="restore"' not in board
    assert "data-hl-bulk-bar" in board


def test_the_bulk_bar_fetches_its_colleagues_when_it_first_opens(
    client, django_assert_max_num_queries, dispatcher, specialist, support
):
    TicketFactory(department=support)
    client.force_login(dispatcher)
    board = client.get(BOARD).content.decode()
    select = (
        board.split('id="bulk_assignee"')[0].rsplit("<select", 1)[1]
        + board.split('id="bulk_assignee"')[1].split("</select>")[0]
    )
    # The page carries the three fixed choices and where to fetch the rest, not every colleague.
    assert select.count("<option") == 3 and specialist.display_name not in select
    assert 'hx-trigger="hl-bulk-open from:body once"' in select
    assert f'hx-get="{BOARD}?part=assignees"' in select

    with django_assert_max_num_queries(6):
        answer = client.get(BOARD, {"part": "assignees"}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.startswith("<select") and 'id="bulk_assignee"' in html and "hx-get" not in html
    assert f'<option value="{specialist.pk}">{specialist.display_name}</option>' in html
    assert f'<option value="{dispatcher.pk}">' not in html  # "Me" stands for them
