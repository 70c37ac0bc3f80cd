"""Journey: two agents on the board; one changes a request, the other's board marks the row
within ten seconds, without reloading, polling with ETags (304 while nothing changed)."""

from playwright.sync_api import expect

from e2e.pages.board import BoardPage
from e2e.pages.ticket import TicketPage
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.tickets.tests.factories import TicketFactory


def test_a_colleagues_change_is_marked_on_the_board_within_ten_seconds(
    open_as, screenshot, browser_errors, dispatcher, support
):
    # Given two requests on the board of two agents of Support
    watched = TicketFactory(department=support, subject="Mail server rejects attachments")
    TicketFactory(department=support, subject="Projector in room 4 flickers")
    colleague = StaffFactory(email="colleague@desk.test", first_name="Cole", support_line=1)
    MembershipFactory(user=colleague, department=support)

    desk = open_as(dispatcher)
    polls = []
    desk.on(
        "response",
        lambda r: polls.append(r.status) if "/desk/live/" in r.url else None,
    )
    board = BoardPage(desk).open()
    expect(board.row("Mail server rejects attachments")).to_be_visible()
    # Nothing changed yet: the board polls, and the answers are empty 304s.
    desk.wait_for_timeout(6000)
    assert polls and set(polls) == {304}, polls

    # When the colleague takes one of them on its page
    other = open_as(colleague)
    TicketPage(other, watched.pk).open().take()

    # Then within ten seconds the dispatcher's board marks that row, and only that one
    row = board.changed_row("Mail server rejects attachments")
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("Changed")
    expect(board.changed_row("Projector in room 4 flickers")).to_have_count(0)
    expect(board.live_notice).to_contain_text("1 request on this page changed")
    assert 200 in polls
    # The answer refreshed the sidebar's counts and left its "Save this view" form in place
    expect(desk.get_by_text("Save this view")).to_be_visible()
    screenshot(desk, "23-desk-live-board")

    # And the mark stays until the board is refreshed
    board.live_notice.get_by_role("link", name="Refresh").click()
    expect(board.row("Mail server rejects attachments")).to_be_visible()
    expect(board.changed_row("Mail server rejects attachments")).to_have_count(0)
    assert not browser_errors
