"""Dates read in the viewer's own time zone, which the browser reports: one style everywhere."""

import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from e2e.pages.login import LoginPage
from helpline.tickets import services
from helpline.tickets.models import Channel


def test_times_follow_the_browsers_time_zone(browser, live_server, requester_a, support, settings):
    settings.TIME_ZONE = "UTC"
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer jams",
        body="On floor 2.",
        channel=Channel.PORTAL,
        department=support,
    )
    created = ticket.created_at
    context = browser.new_context(
        base_url=live_server.url, locale="en", timezone_id="Asia/Vladivostok"
    )
    try:
        page = context.new_page()
        LoginPage(page).sign_in(requester_a.email, "secret-pass-123")
        page.goto(f"/requests/{ticket.pk}/")

        # Relative text on the page, the exact local time (UTC+10) on hover
        opened = page.locator("time").first
        expect(opened).to_have_text(re.compile(r"just now|\d+ min ago"))
        local = created.astimezone(ZoneInfo("Asia/Vladivostok"))
        expect(opened).to_have_attribute("title", local.strftime("%Y-%m-%d %H:%M"))
    finally:
        context.close()
