"""The bell's dropdown: the latest notifications under the header's bell, loaded when it opens,
marked read one by one or all at once without leaving the page, by keyboard, at 390 px."""

import re

from playwright.sync_api import expect

from e2e.conftest import PHONE
from e2e.console import csp_violations, script_errors
from e2e.pages.staffmail import BellMenu, HeaderBadges
from helpline.audit.models import Event
from helpline.notify.models import Kind, Notification
from helpline.notify.services import notifications_add
from helpline.tickets import services
from helpline.tickets.models import Channel


def test_the_bell_lists_marks_read_and_leads_to_the_centre_by_keyboard_on_a_phone(
    open_as, screenshot, browser_errors, requester_a, dispatcher, supervisor, support
):
    # Given three requests assigned to the dispatcher (three unread notifications)
    for n in range(3):
        ticket = services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=f"Printer {n}",
            body="It blinks.",
            channel=Channel.PORTAL,
            department=support,
        )
        notifications_add(
            users=[dispatcher], kind=Kind.ASSIGNED, actor_id=supervisor.pk, ticket=ticket
        )

    desk = open_as(dispatcher, viewport=PHONE)
    desk.goto("/desk/")
    badges = HeaderBadges(desk)
    expect(badges.notifications).to_contain_text("3")

    # When the dispatcher opens the bell from the keyboard
    bell = BellMenu(desk).open_with_keyboard()

    # Then the latest notifications load into it, inside the 390 px screen
    expect(bell.items).to_have_count(3)
    expect(bell.unread).to_have_count(3)
    expect(bell.items.first).to_contain_text("assigned #")
    box = bell.menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(desk, "notification-bell-390", full_page=False)

    # And the arrow keys walk its items
    desk.keyboard.press("ArrowDown")
    focused = desk.evaluate("document.activeElement.closest('#notifications-menu') !== null")
    assert focused

    # When one is marked read with the keyboard
    mark = bell.menu.get_by_role("button", name="Mark read").first
    mark.focus()
    desk.keyboard.press("Enter")

    # Then it is read in place, the badge counts two, and the keyboard stays in the list
    expect(bell.unread).to_have_count(2)
    expect(bell.items).to_have_count(3)
    expect(badges.notifications).to_contain_text("2")
    assert desk.evaluate("document.activeElement.closest('#notifications-menu') !== null")

    # When all are marked read
    bell.menu.get_by_role("button", name="Mark all read").click()

    # Then none is unread, the badge is gone and the dropdown is still open
    expect(bell.unread).to_have_count(0)
    expect(badges.notifications).to_have_count(0)
    expect(bell.menu).to_be_visible()

    # And Escape closes it, back on the bell
    desk.keyboard.press("Escape")
    expect(bell.menu).to_be_hidden()
    expect(bell.button).to_be_focused()

    # And its link leads to the centre
    BellMenu(desk).open_with_keyboard().menu.get_by_role("link", name="All notifications").click()
    expect(desk).to_have_url(re.compile(r"/desk/notifications/$"))

    # The event log has both changes, as done by the dispatcher
    assert Event.objects.filter(action="notification.read", actor=dispatcher).count() == 1
    read_all = Event.objects.get(action="notification.read_all", actor=dispatcher)
    assert read_all.changes["count"] == 2
    assert not Notification.objects.filter(user=dispatcher, read_at__isnull=True).exists()
    assert not csp_violations(browser_errors), "\n".join(browser_errors)
    assert not script_errors(browser_errors), "\n".join(browser_errors)
