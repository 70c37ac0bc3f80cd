"""Journey 3: a request goes to the trash and a supervisor brings it back."""

import pytest
from playwright.sync_api import expect

from e2e.pages.board import BoardPage
from e2e.pages.ticket import TicketPage
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.tickets import services
from helpline.tickets.models import Channel

SUBJECT = "Duplicate: printer jam on floor 3"


@pytest.fixture
def team_lead(support):
    """An agent who may manage (and so delete) requests in Support."""
    user = StaffFactory(email="lead@desk.test", first_name="Lena", support_line=1)
    MembershipFactory(user=user, department=support, can_manage=True)
    return user


def test_delete_to_trash_and_restore(
    open_as, screenshot, browser_errors, requester_a, support, team_lead, supervisor
):
    # Given a request in Support on the team lead's board
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject=SUBJECT,
        body="The printer on floor 3 jams again.",
        channel=Channel.PORTAL,
        department=support,
    )
    desk = open_as(team_lead)
    board = BoardPage(desk).open()
    expect(board.row(SUBJECT)).to_be_visible()

    # When the team lead deletes it from its page, confirming the browser's question
    TicketPage(desk, ticket.pk).open().delete()

    # Then it is gone from the board and waits in the trash
    board.open()
    expect(board.ticket_link(SUBJECT)).to_have_count(0)
    board.show_view("Trash")
    expect(board.row(SUBJECT)).to_be_visible()
    screenshot(desk, "11-desk-trash")

    # When a supervisor restores it from the ticket page
    boss = open_as(supervisor)
    page = TicketPage(boss, ticket.pk).open()
    expect(page.header).to_contain_text("In the trash")
    screenshot(boss, "12-desk-ticket-in-trash")
    page.restore()

    # Then it is back on the board, and out of the trash
    board.open()
    expect(board.row(SUBJECT)).to_be_visible()
    board.show_view("Trash")
    expect(board.ticket_link(SUBJECT)).to_have_count(0)
    assert not browser_errors, "\n".join(browser_errors)
