"""The board on a phone and on a wide screen: cards, the menu drawer, the filter sheet with a
typeahead organisation, and the way back to the board with the filter kept."""

import re

from playwright.sync_api import expect

from e2e.conftest import PHONE, WIDE
from e2e.pages.board import BoardPage
from e2e.pages.ticket import TicketPage
from helpline.tickets.models import EntryKind, StatusCategory
from helpline.tickets.tests.factories import EntryFactory, TicketFactory

ACME_SUBJECT = "The shop's card terminal rejects every payment since this morning's update"
GLOBEX_SUBJECT = "Invoice printed twice"


def _desk(support, requester_a, requester_b, dispatcher):
    acme = TicketFactory(
        department=support,
        requester=requester_a,
        subject=ACME_SUBJECT,
        category=StatusCategory.OPEN,
    )
    EntryFactory(ticket=acme, kind=EntryKind.REPLY, author=requester_a, body="Still broken.")
    globex = TicketFactory(
        department=support,
        requester=requester_b,
        subject=GLOBEX_SUBJECT,
        category=StatusCategory.ON_HOLD,
    )
    TicketFactory(department=support, requester=requester_b, category=StatusCategory.PENDING)
    return acme, globex


def test_phone_filter_by_organisation_reply_and_back(
    open_as, screenshot, browser_errors, support, dispatcher, requester_a, requester_b, org_a
):
    acme, globex = _desk(support, requester_a, requester_b, dispatcher)

    # Given a dispatcher on a phone-sized screen
    page = open_as(dispatcher, viewport=PHONE)
    board = BoardPage(page).open()

    # The rows are cards: the subject on up to two lines, whose turn it is, no sideways scroll
    row = board.row(ACME_SUBJECT)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Requester replied")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "board-390", full_page=False)

    # The menu is a drawer behind the menu button
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Views", exact=True)).to_be_visible()
    screenshot(page, "board-390-menu", full_page=False)
    page.locator("#desk-menu").get_by_role("button", name="Close").click()

    # When she filters by an organisation, typing part of its name in the filter sheet
    board.choose("Organisation", "acm", org_a.name)
    screenshot(page, "board-390-filters", full_page=False)
    board.close_filters()

    # Then the board shows that organisation's requests at once, the address says so, and a
    # chip names the filter
    expect(board.row(GLOBEX_SUBJECT)).to_have_count(0)
    expect(board.row(ACME_SUBJECT)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"organisation={org_a.pk}"))
    expect(board.chip(f"Organisation: {org_a.name}")).to_be_visible()

    # When she opens the request and replies
    board.open_ticket(ACME_SUBJECT)
    ticket = TicketPage(page, acme.pk)
    screenshot(page, "ticket-390", full_page=False)
    ticket.reply("The terminal needs the new certificate; I have sent it.")

    # And goes back to the board
    page.get_by_role("link", name="Back to the list").click()

    # Then the filter is still there, and the request she answered is no longer her turn
    expect(page).to_have_url(re.compile(rf"organisation={org_a.pk}"))
    expect(board.chip(f"Organisation: {org_a.name}")).to_be_visible()
    expect(board.row(ACME_SUBJECT)).to_be_visible()
    expect(board.row(ACME_SUBJECT)).not_to_contain_text("Requester replied")
    expect(board.row(GLOBEX_SUBJECT)).to_have_count(0)

    # And removing the chip shows everything again
    board.chip(f"Organisation: {org_a.name}").click()
    expect(board.row(GLOBEX_SUBJECT)).to_be_visible()
    expect(page).not_to_have_url(re.compile("organisation="))
    assert browser_errors == []


def test_typeahead_by_keyboard_and_search_as_you_type(
    open_as, browser_errors, support, dispatcher, requester_a, requester_b
):
    _desk(support, requester_a, requester_b, dispatcher)
    page = open_as(dispatcher, viewport=WIDE)
    board = BoardPage(page).open()

    # Typing in the search box filters after a pause, without an Apply button
    board.filter_bar.get_by_role("textbox", name="Search").fill("invoice")
    expect(board.row(ACME_SUBJECT)).to_have_count(0)
    expect(board.row(GLOBEX_SUBJECT)).to_be_visible()
    expect(page).to_have_url(re.compile("q=invoice"))
    board.chip("Search: invoice").click()
    expect(board.row(ACME_SUBJECT)).to_be_visible()

    # The requester filter by keyboard alone: type, arrow down, Enter
    field = board.filter_bar.get_by_role("combobox", name="Requester")
    field.focus()
    field.press_sequentially("bob", delay=30)
    expect(page.get_by_role("listbox", name="Requester").get_by_role("option")).to_have_count(1)
    field.press("ArrowDown")
    field.press("Enter")
    expect(board.row(ACME_SUBJECT)).to_have_count(0)
    expect(board.row(GLOBEX_SUBJECT)).to_be_visible()
    expect(board.chip(f"Requester: {requester_b.display_name}")).to_be_visible()

    # Emptying the field clears the filter
    field.fill("")
    field.press("Tab")
    expect(board.row(ACME_SUBJECT)).to_be_visible()
    assert browser_errors == []


def test_screens_at_phone_and_wide_widths(
    open_as, screenshot, support, dispatcher, admin_user, requester_a, requester_b
):
    acme, _ = _desk(support, requester_a, requester_b, dispatcher)
    for name, viewport in (("390", PHONE), ("1440", WIDE)):
        page = open_as(admin_user, viewport=viewport)
        BoardPage(page).open("all")
        expect(page.locator("tr[data-hl-row]").first).to_be_visible()
        screenshot(page, f"board-{name}-all", full_page=False)
        TicketPage(page, acme.pk).open()
        expect(page.get_by_role("heading", name=ACME_SUBJECT)).to_be_visible()
        screenshot(page, f"ticket-{name}", full_page=False)
        page.goto("/manage/staff/")
        expect(page.get_by_role("heading", name="Staff")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"administration-{name}", full_page=False)
        if viewport is PHONE:
            # The list scrolls sideways inside its card; each row's name stays in view.
            page.locator("#staff-results .table-responsive").evaluate(
                "wrapper => wrapper.scrollLeft = wrapper.scrollWidth"
            )
            name_cell = page.get_by_role("link", name=admin_user.display_name)
            box = name_cell.bounding_box()
            assert box is not None and 0 <= box["x"] < viewport["width"] / 2
            screenshot(page, "administration-390-scrolled", full_page=False)
