"""Journey: an agent saves the board as a view, shares it with the department, a colleague
sees it with its count; each orders their own sidebar."""

import pytest
from playwright.sync_api import expect

from e2e.pages.board import BoardPage
from e2e.pages.saved_views import SavedViews, SavedViewsPage
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.desk.models import SavedView
from helpline.tickets.models import Priority
from helpline.tickets.tests.factories import TicketFactory


@pytest.fixture
def colleague(support):
    user = StaffFactory(email="colleague@desk.test", first_name="Cole", support_line=1)
    MembershipFactory(user=user, department=support)
    return user


def test_save_share_and_a_colleague_sees_it_with_its_count(
    open_as, screenshot, browser_errors, dispatcher, colleague, specialist, support
):
    # Given three critical requests and one low one in Support
    for n in range(3):
        TicketFactory(department=support, priority=Priority.CRITICAL, subject=f"Server {n} down")
    TicketFactory(department=support, priority=Priority.LOW, subject="New mouse please")

    # When the dispatcher filters the board by priority and saves it, shared with Support
    desk = open_as(dispatcher)
    board = BoardPage(desk).open()
    board.filter_by("Priority", "Critical")
    expect(board.rows).to_have_count(3)
    SavedViews(desk).save_current("Critical in Support", shared_with="Support")

    # Then the view is in their sidebar, current, with its count
    sidebar = SavedViews(desk)
    expect(sidebar.count_of("Critical in Support")).to_have_text("3")
    view = SavedView.objects.get()
    assert view.query == {"view": "open", "priority": str(Priority.CRITICAL)}
    assert view.department == support
    screenshot(desk, "21-desk-saved-view")
    # Another filter is another board: the mark leaves the view, and comes back with the filter
    board.filter_by("Priority", "Low")
    expect(sidebar.link("Critical in Support")).not_to_have_attribute("aria-current", "page")
    board.filter_by("Priority", "Critical")
    expect(sidebar.link("Critical in Support")).to_have_attribute("aria-current", "page")

    # When a colleague of Support opens the desk
    other = open_as(colleague)
    BoardPage(other).open()
    theirs = SavedViews(other)

    # Then the shared view is in their sidebar with its count, and opens the same board
    expect(theirs.count_of("Critical in Support")).to_have_text("3")
    theirs.link("Critical in Support").click()
    expect(theirs.link("Critical in Support")).to_have_attribute("aria-current", "page")
    expect(BoardPage(other).rows).to_have_count(3)
    expect(BoardPage(other).ticket_link("New mouse please")).to_have_count(0)

    # And someone outside Support does not see it
    outsider = open_as(specialist)
    BoardPage(outsider).open()
    expect(SavedViews(outsider).link("Critical in Support")).to_have_count(0)

    # The colleague orders their own sidebar: their saved view goes above the shared one
    other.goto("/desk/?view=mine")
    SavedViews(other).save_current("Mine")
    manage = SavedViewsPage(other).open()
    manage.move_up("Mine")
    expect(SavedViews(other).names).to_have_text(["Mine", "Critical in Support"])
    screenshot(other, "22-desk-saved-views-page")
    # The dispatcher's sidebar keeps its own order (and never shows the colleague's private view).
    desk.reload()
    expect(SavedViews(desk).names).to_have_text(["Critical in Support"])

    # On a phone the saved views stay reachable, with their counts
    desk.set_viewport_size({"width": 390, "height": 844})
    desk.reload()
    # (on a phone the sidebar is a drawer behind the menu button)
    desk.get_by_role("button", name="Menu").click()
    expect(SavedViews(desk).count_of("Critical in Support")).to_have_text("3")
    screenshot(desk, "24-desk-saved-views-390")
    other.set_viewport_size({"width": 390, "height": 844})
    SavedViewsPage(other).open()
    screenshot(other, "25-desk-saved-views-page-390")
    assert not browser_errors
