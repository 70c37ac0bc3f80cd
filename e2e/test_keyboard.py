"""Journey 4: the board and the ticket page work from the keyboard."""

import re

from playwright.sync_api import expect

from e2e.console import csp_violations
from e2e.pages.board import BoardPage
from e2e.pages.ticket import TicketPage
from helpline.tickets import services
from helpline.tickets.models import Channel

SUBJECTS = ("Monitor flickers", "Keyboard missing keys", "Mouse double-clicks")


def test_keyboard_shortcuts(open_as, screenshot, browser_errors, requester_a, dispatcher, support):
    # Given three requests in the dispatcher's department
    for subject in SUBJECTS:
        services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=subject,
            body="Details follow.",
            channel=Channel.PORTAL,
            department=support,
        )
    desk = open_as(dispatcher)
    board = BoardPage(desk).open()
    expect(board.rows).to_have_count(3)
    second = board.rows.nth(1).get_by_role("link").first
    second_subject = second.inner_text()
    second_url = second.get_attribute("href")

    # When she presses j, j and Enter
    desk.keyboard.press("j")
    desk.keyboard.press("j")
    expect(board.rows.nth(1)).to_have_class(re.compile(r"\bhl-current\b"))
    desk.keyboard.press("Enter")

    # Then the second request opens
    desk.wait_for_url(f"**{second_url}")
    number = int(second_url.rstrip("/").rsplit("/", 1)[1])
    page = TicketPage(desk, number)
    expect(desk.get_by_role("heading", name=second_subject)).to_be_visible()

    # When she presses r, the reply box has the focus
    desk.keyboard.press("r")
    expect(page.reply_box).to_be_focused()

    # When she leaves the box and presses a, she takes the request
    desk.keyboard.press("Escape")
    desk.keyboard.press("a")
    expect(page.header.get_by_text("You are responsible")).to_be_visible()

    # When she presses ?, the shortcuts help opens
    desk.keyboard.press("?")
    help_dialog = desk.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Assign to me")
    screenshot(desk, "13-desk-shortcuts-help", full_page=False)

    # And nothing broke the Content-Security-Policy or threw a script error
    assert not csp_violations(browser_errors)
    assert not browser_errors, "\n".join(browser_errors)
