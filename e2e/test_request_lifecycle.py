"""Journey 1: a request's whole life across the portal and the desk, hand-overs in its history."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import VIEWPORT
from e2e.pages.board import BoardPage
from e2e.pages.portal_home import PortalHomePage
from e2e.pages.portal_new import NewRequestPage
from e2e.pages.portal_request import PortalRequestPage
from e2e.pages.ticket import TicketPage
from helpline.tickets.models import StatusCategory, Ticket, Topic

SUBJECT = "Laptop cannot reach the VPN"


@pytest.fixture
def topic(support):
    return Topic.objects.create(
        name="Computer problems", department=support, default_class="incident"
    )


def test_request_from_portal_to_confirmed_closure(
    open_as, screenshot, browser_errors, topic, requester_a, dispatcher, specialist, software
):
    # Given a requester with a password in the portal
    portal = open_as(requester_a)
    PortalHomePage(portal).open()
    screenshot(portal, "01-portal-home")

    # When she submits an incident about her computer
    PortalHomePage(portal).start_request()
    form = NewRequestPage(portal).fill(
        topic="Computer problems",
        kind="Incident",
        subject=SUBJECT,
        description="Since this morning the VPN client says 'server unreachable'.",
    )
    screenshot(portal, "02-portal-new-request")
    submitted = form.send()

    # Then she sees the confirmation with the request's number
    number = submitted.number
    screenshot(portal, "03-portal-confirmation")
    ticket = Ticket.objects.get(pk=number)
    assert ticket.department == topic.department
    assert ticket.subject == SUBJECT

    # When the dispatcher finds it on the board and opens it
    desk = open_as(dispatcher)
    board = BoardPage(desk).open()
    expect(board.row(SUBJECT)).to_be_visible()
    screenshot(desk, "04-desk-board")
    board.open_ticket(SUBJECT)
    page = TicketPage(desk, number)

    # And takes it, classifies it, and escalates it to the 2nd-line Software department
    page.take()
    page.classify(ticket_class="Incident", impact="High", urgency="Medium", priority="Critical")
    screenshot(desk, "05-desk-ticket-before-escalation")
    page.escalate(department="Software", reason="VPN client needs a software specialist")
    expect(page.header).to_contain_text("2nd line")
    screenshot(desk, "06-desk-ticket-after-escalation")

    # When the specialist takes it and answers publicly, resolving it
    work = open_as(specialist)
    specialist_page = TicketPage(work, number).open()
    specialist_page.take()
    specialist_page.reply(
        "Reinstalled the VPN profile remotely; please try again.", status="Resolved"
    )
    expect(specialist_page.header).to_contain_text("Resolved")

    # Then the requester sees the reply and confirms it is solved
    request_page = PortalRequestPage(portal, number).open()
    expect(request_page.conversation).to_contain_text("Reinstalled the VPN profile remotely")
    expect(request_page.status).to_have_text("Solved — please confirm")
    screenshot(portal, "07-portal-request-resolved")
    portal.set_viewport_size({"width": 390, "height": 844})
    screenshot(portal, "07b-portal-request-resolved-phone")
    portal.set_viewport_size(VIEWPORT)
    request_page.confirm_solved()

    # And the ticket is closed
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED

    # And the desk's history shows every hand-over and status change
    page.open()
    screenshot(desk, "08-desk-ticket-closed")
    history = "\n".join(page.history())
    dana, sam = dispatcher.display_name, specialist.display_name
    for sentence in (
        f"{dana} took the request",
        f"{dana} handed the request over from Support to Software",
        f"{dana} is no longer responsible",
        f"{dana} moved the request from 1st line (dispatcher) to 2nd line (specialist)",
        f"{sam} took the request",
        f"{sam} changed status",
        "→ Resolved",
        "Resolved → Closed",
    ):
        assert sentence in history, f"{sentence!r} not in history:\n{history}"
    assert "VPN client needs a software specialist" in history

    # And nothing on the way broke the Content-Security-Policy or threw a script error
    assert not browser_errors, "\n".join(browser_errors)
