"""Time accounting: the timer on a ticket survives a reload, stopping it logs the time, and the
total shows on the ticket page, the board's time column and the activity page."""

import datetime
import re

from playwright.sync_api import expect

from e2e.console import csp_violations, script_errors
from helpline.tickets import services
from helpline.tickets.models import Channel
from helpline.timelog.models import RunningTimer, TimeEntry


def test_timer_across_a_reload_logs_time_and_the_total_shows(
    open_as, screenshot, browser_errors, requester_a, dispatcher, support
):
    # Given a request in Dana's department
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Scanner on floor 3 drops pages",
        body="Every second page is missing.",
        channel=Channel.PORTAL,
        department=support,
    )
    desk = open_as(dispatcher)
    desk.goto(f"/desk/tickets/{ticket.pk}/")
    panel = desk.locator(f"#ticket-{ticket.pk}-time")
    expect(panel.locator("[data-hl-time-total]")).to_have_text("0:00")

    # When she starts the timer and reloads the page
    panel.locator("[data-hl-timer-start]").click()
    expect(panel.locator("[data-hl-timer-stop]")).to_be_visible()
    desk.reload()
    panel = desk.locator(f"#ticket-{ticket.pk}-time")
    # Then the timer still runs (it is kept on the server) and ticks on the page
    expect(panel.locator("[data-hl-timer-stop]")).to_be_visible()
    expect(panel.locator("[data-hl-timer-since]")).to_have_text(re.compile(r"^0:00:\d\d$"))
    screenshot(desk, "time-01-timer-running")

    # When 25 minutes have passed (moved back on the server: no test waits that long) and she
    # stops the timer with a comment
    RunningTimer.objects.filter(ticket=ticket).update(
        started_at=RunningTimer.objects.get(ticket=ticket).started_at
        - datetime.timedelta(minutes=25)
    )
    desk.reload()
    panel = desk.locator(f"#ticket-{ticket.pk}-time")
    expect(panel.locator("[data-hl-timer-since]")).to_have_text(re.compile(r"^0:25:\d\d$"))
    panel.get_by_placeholder("Comment").fill("Replaced the feed roller")
    panel.locator("[data-hl-timer-stop]").click()

    # Then the time is logged and the total shows on the ticket page
    expect(panel.locator("[data-hl-time-total]")).to_have_text(re.compile(r"^0:2[67]$"))
    expect(panel).to_contain_text("Replaced the feed roller")
    assert TimeEntry.objects.get(ticket=ticket).minutes in (26, 27)
    assert not RunningTimer.objects.exists()
    screenshot(desk, "time-02-logged")

    # And after a reload too, and in the board's time column
    desk.reload()
    expect(desk.locator(f"#ticket-{ticket.pk}-time [data-hl-time-total]")).to_have_text(
        re.compile(r"^0:2[67]$")
    )
    desk.goto("/desk/?view=all&time=1")
    expect(desk.locator(f"#ticket-row-{ticket.pk} [data-hl-time-total]")).to_have_text(
        re.compile(r"^0:2[67]$")
    )

    # And on her activity page, with its chart drawn
    desk.goto("/desk/activity/")
    expect(desk.locator("#activity-people")).to_contain_text("0:2")
    expect(desk.locator("#activity-chart")).to_be_visible()
    screenshot(desk, "time-03-activity")
    assert not csp_violations(browser_errors), "\n".join(browser_errors)
    assert not script_errors(browser_errors), "\n".join(browser_errors)


def test_activity_and_ticket_time_on_a_phone(
    open_as, screenshot, dispatcher, admin_user, support, requester_a
):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Badge reader at the side door",
        body="It blinks red.",
        channel=Channel.PORTAL,
        department=support,
    )
    from helpline.timelog.services import time_entry_add

    time_entry_add(ticket=ticket, actor=dispatcher, minutes=50, comment="On site")
    for viewport, name in (
        ({"width": 390, "height": 844}, "390"),
        ({"width": 1440, "height": 900}, "1440"),
    ):
        page = open_as(admin_user, viewport=viewport)
        page.goto(f"/desk/tickets/{ticket.pk}/")
        expect(page.locator(f"#ticket-{ticket.pk}-time [data-hl-time-total]")).to_have_text("0:50")
        screenshot(page, f"time-ticket-{name}")
        page.goto("/desk/activity/")
        expect(page.locator("#activity-departments")).to_contain_text("Support")
        screenshot(page, f"time-activity-{name}")
