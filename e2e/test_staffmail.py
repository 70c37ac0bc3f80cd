"""Internal mail and the notifications centre: a message attached to a request shows on it to
staff and never in the portal; an @mention reaches the mentioned agent's centre with a badge."""

import re

from playwright.sync_api import expect

from e2e.conftest import PHONE, WIDE
from e2e.console import csp_violations, script_errors
from e2e.pages.portal_request import PortalRequestPage
from e2e.pages.staffmail import ComposePage, HeaderBadges, NotificationsPage
from e2e.pages.ticket import TicketPage
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.tickets import services
from helpline.tickets.models import Channel

SECRET = "INTERNAL-MAIL: the customer's contract ends in March"


def _ticket(requester, department):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject="Renewal question",
        body="Can we renew for two years?",
        channel=Channel.PORTAL,
        department=department,
    )


def _colleague(department):
    user = StaffFactory(email="cleo@desk.test", first_name="Cleo", last_name="Colleague")
    MembershipFactory(user=user, department=department)
    return user


def test_internal_message_on_the_request_is_absent_from_the_portal(
    open_as, screenshot, browser_errors, requester_a, dispatcher, support
):
    # Given a request and a colleague in the same department
    ticket = _ticket(requester_a, support)
    colleague = _colleague(support)

    # When the dispatcher writes internal mail about the request to the colleague
    desk = open_as(dispatcher, viewport=WIDE)
    ComposePage(desk).open(ticket=ticket.pk).send(
        to=colleague.display_name, subject="Contract", body=SECRET
    )

    # Then the request's page shows it to staff, in its internal mail panel
    page = TicketPage(desk, ticket.pk).open()
    panel = desk.locator(f"#ticket-{ticket.pk}-staffmail")
    expect(panel).to_contain_text(SECRET)
    screenshot(desk, "staffmail-ticket-panel-1440")

    # And the colleague has it in the inbox, with the header's mail badge
    other = open_as(colleague, viewport=PHONE)
    other.goto("/desk/messages/")
    expect(HeaderBadges(other).mail).to_contain_text("1")
    expect(other.locator(".hl-mail-list")).to_contain_text("Contract")
    screenshot(other, "staffmail-inbox-390")

    # And the requester's portal shows nothing of it
    portal = open_as(requester_a)
    PortalRequestPage(portal, ticket.pk).open()
    expect(portal.locator("body")).not_to_contain_text(SECRET)
    assert SECRET not in portal.content()
    assert "Contract" not in portal.content()
    assert page.number == ticket.pk
    assert not csp_violations(browser_errors), "\n".join(browser_errors)
    assert not script_errors(browser_errors), "\n".join(browser_errors)


def test_a_mention_reaches_the_notifications_centre_with_the_badge(
    open_as, screenshot, browser_errors, requester_a, dispatcher, support
):
    ticket = _ticket(requester_a, support)
    colleague = _colleague(support)

    # When the dispatcher types "@cle" in the note box, picks Cleo and adds the note
    desk = open_as(dispatcher, viewport=WIDE)
    page = TicketPage(desk, ticket.pk).open()
    desk.get_by_role("tab", name="Internal note").click()
    box = desk.get_by_role("textbox", name="Internal note")
    box.fill("Could you check this, ")
    box.press_sequentially("@cle")
    option = desk.get_by_role("option", name="Cleo Colleague — cleo@desk.test")
    expect(option).to_be_visible()
    screenshot(desk, "staffmail-mention-typeahead-1440", full_page=False)
    option.click()
    expect(box).to_have_value("Could you check this, @cleo@desk.test ")
    desk.get_by_role("button", name="Add internal note").click()
    expect(page.thread.get_by_role("article", name="Internal note")).to_contain_text(
        "@cleo@desk.test"
    )

    # Then Cleo's header shows a badge, and the centre lists the mention
    other = open_as(colleague, viewport=WIDE)
    other.goto("/desk/")
    expect(HeaderBadges(other).notifications).to_contain_text("1")
    centre = NotificationsPage(other).open()
    expect(centre.items.first).to_contain_text("mentioned you on")
    screenshot(other, "staffmail-notifications-1440")

    # And opening it goes to the request and clears the badge
    centre.items.first.get_by_role("button").click()
    expect(other).to_have_url(re.compile(rf"/desk/tickets/{ticket.pk}/#entry-\d+$"))
    expect(HeaderBadges(other).notifications).to_have_count(0)
    narrow = open_as(colleague, viewport=PHONE)
    NotificationsPage(narrow).open()
    screenshot(narrow, "staffmail-notifications-390")
    assert not csp_violations(browser_errors), "\n".join(browser_errors)
    assert not script_errors(browser_errors), "\n".join(browser_errors)
