"""Journey 2: an internal note, its text and its file, never reach the requester's portal."""

from playwright.sync_api import expect

from e2e.console import csp_violations, script_errors
from e2e.pages.portal_request import PortalRequestPage
from e2e.pages.ticket import TicketPage
from helpline.tickets import services
from helpline.tickets.models import Attachment, Channel

NOTE_TEXT = "INTERNAL-ONLY: requester is on the credit watch list"
NOTE_FILE = "credit-memo-internal.txt"
REPLY_TEXT = "We are looking into your invoice and will answer by Friday."


def test_internal_note_never_reaches_the_portal(
    open_as, screenshot, browser_errors, requester_a, dispatcher, support
):
    # Given a request from requester A in the dispatcher's department
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Invoice 2024-113 charged twice",
        body="My card was charged twice for the same invoice.",
        channel=Channel.PORTAL,
        department=support,
    )

    # When the dispatcher writes an internal note with a file, and then a public reply
    desk = open_as(dispatcher)
    page = TicketPage(desk, ticket.pk).open()
    memo = {"name": NOTE_FILE, "mimeType": "text/plain", "buffer": b"Do not share outside."}
    page.note(NOTE_TEXT, files=[memo])
    expect(page.thread).to_contain_text(NOTE_FILE)
    page.page.get_by_role("tab", name="Reply").click()
    page.reply(REPLY_TEXT)
    screenshot(desk, "09-desk-ticket-note-and-reply")

    # Then the requester's portal page shows the reply, but neither the note nor its file
    portal = open_as(requester_a)
    request_page = PortalRequestPage(portal, ticket.pk).open()
    expect(request_page.conversation).to_contain_text(REPLY_TEXT)
    body = portal.locator("body")
    expect(body).not_to_contain_text(NOTE_TEXT)
    expect(body).not_to_contain_text(NOTE_FILE)
    assert NOTE_TEXT not in portal.content()
    assert NOTE_FILE not in portal.content()
    screenshot(portal, "10-portal-request-without-note")

    # And the note's file, asked for directly through the portal's download URL, is not found
    note_file = Attachment.objects.get(filename=NOTE_FILE)
    response = portal.goto(f"/requests/attachments/{note_file.pk}/")
    assert response.status == 404
    assert b"Do not share outside." not in response.body()

    # And nothing broke the Content-Security-Policy (the 404 itself is expected in the console)
    assert not csp_violations(browser_errors), "\n".join(browser_errors)
    assert not script_errors(browser_errors), "\n".join(browser_errors)
