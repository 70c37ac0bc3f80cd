"""Writes on one ticket page in a row: each answer carries only what changed, and the page's
other forms follow the new version, so no action is refused as made on an old page."""

from playwright.sync_api import expect

from e2e.console import csp_violations, script_errors
from e2e.pages.ticket import TicketPage
from helpline.tickets import services
from helpline.tickets.models import Channel, Ticket


def test_reply_note_properties_and_escalation_without_a_reload(
    open_as, screenshot, browser_errors, requester_a, dispatcher, support, software
):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer prints blank pages",
        body="Every page comes out blank since the toner change.",
        channel=Channel.PORTAL,
        department=support,
    )
    desk = open_as(dispatcher)
    page = TicketPage(desk, ticket.pk).open()

    # A reply, a note and another reply, each appended once to the thread
    page.reply("Is the toner's seal removed?")
    page.note("Third blank-page report this week")
    desk.get_by_role("tab", name="Reply").click()
    page.reply("Please also send a photo of the printer's display.")
    expect(page.thread.locator("article")).to_have_count(4)

    # Then the side panel, then an escalation, from the same page: the forms carry the new
    # version, so neither is refused as made on an old page
    page.take()
    page.classify(ticket_class="Incident", impact="High", urgency="High", priority="Critical")
    page.escalate(department="Software", reason="Driver problem")
    expect(desk.get_by_text("Someone else changed this request")).to_have_count(0)
    screenshot(desk, "desk-ticket-writes-in-a-row")

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.department == software
    assert ticket.entries.filter(kind="reply").count() == 3
    assert not csp_violations(browser_errors), "\n".join(browser_errors)
    assert not script_errors(browser_errors), "\n".join(browser_errors)
