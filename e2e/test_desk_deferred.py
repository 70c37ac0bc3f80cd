"""Journey: what the desk fetches only when it is needed — the bulk bar's colleagues when the
bar first opens, the sidebar's counts after a change on a request's page."""

from playwright.sync_api import expect

from e2e.conftest import PHONE
from e2e.pages.board import BoardPage
from e2e.pages.ticket import TicketPage
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.tickets.models import StatusCategory
from helpline.tickets.tests.factories import TicketFactory


def test_the_bulk_bar_fetches_colleagues_and_assigns(
    open_as, screenshot, browser_errors, dispatcher, support
):
    # Given a request on the board and a colleague in the same department
    TicketFactory(department=support, subject="Scanner jams on every page")
    colleague = StaffFactory(email="colleague@desk.test", first_name="Cole", support_line=1)
    MembershipFactory(user=colleague, department=support)
    desk = open_as(dispatcher)
    asked = []
    desk.on("request", lambda r: asked.append(r.url) if "part=assignees" in r.url else None)
    board = BoardPage(desk).open()
    expect(board.row("Scanner jams on every page")).to_be_visible()
    # The page itself does not list the colleagues
    assert desk.locator("#bulk_assignee option").count() == 3

    # When the agent ticks the request, the bulk bar opens and fetches its colleagues once
    board.row("Scanner jams on every page").get_by_role("checkbox").check()
    assignee = desk.locator("#bulk_assignee")
    expect(assignee.locator("option", has_text="Cole")).to_have_count(1)
    assert len(asked) == 1

    # And assigning to the colleague works as before
    assignee.select_option(label=colleague.display_name)
    desk.get_by_role("button", name="Assign", exact=True).click()
    expect(desk.get_by_text("1 request updated.")).to_be_visible()
    row = board.row("Scanner jams on every page")
    expect(row).to_contain_text(colleague.display_name)
    screenshot(desk, "40-desk-bulk-assigned")

    # On a phone and on a wide screen the bar offers the colleagues the same way
    for name, viewport in (("390", PHONE), ("1440", {"width": 1440, "height": 900})):
        other = open_as(dispatcher, viewport=viewport)
        BoardPage(other).open().row("Scanner jams on every page").get_by_role("checkbox").check()
        expect(other.locator("#bulk_assignee option", has_text="Cole")).to_have_count(1)
        screenshot(other, f"41-desk-bulk-bar-{name}", full_page=False)
    assert not browser_errors


def test_the_sidebar_counts_follow_a_change_on_the_request_page(
    open_as, browser_errors, dispatcher, support
):
    # Given a new request nobody has taken
    ticket = TicketFactory(
        department=support, subject="Badge reader offline", category=StatusCategory.NEW
    )
    desk = open_as(dispatcher)
    page = TicketPage(desk, ticket.pk).open()
    mine = desk.locator('#desk-sidebar [data-hl-view="mine"]')
    expect(mine.locator(".badge")).to_have_count(0)

    # When the agent takes it on its page
    fetched = []
    desk.on("response", lambda r: fetched.append(r.status) if "/desk/sidebar/" in r.url else None)
    page.take()

    # Then the sidebar fetches itself and counts it among "My open"
    expect(mine.locator(".badge")).to_have_text("1")
    assert fetched == [200]
    assert not browser_errors
