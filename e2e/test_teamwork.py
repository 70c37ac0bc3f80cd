"""Journeys of issue 10: two agents on one request see each other and the second is warned
before sending a reply that crossed the first one's; a round-robin department hands nine new
requests three to each present agent and none to the one who is away."""

import re

from playwright.sync_api import expect

from e2e.console import csp_violations, script_errors
from e2e.pages.teamwork import AssignmentPage, MyStatus, presence
from e2e.pages.ticket import TicketPage
from helpline.accounts.models import Role
from helpline.accounts.tests.factories import MembershipFactory, StaffFactory
from helpline.tickets import services
from helpline.tickets.models import Channel, Ticket

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_two_agents_on_one_request_see_each_other_and_the_second_is_warned(
    open_as, screenshot, browser_errors, dispatcher, support, requester_a
):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Laptop will not charge",
        body="The light stays off.",
        channel=Channel.PORTAL,
        department=support,
    )
    colleague = StaffFactory(email="cole@desk.test", first_name="Cole", support_line=1)
    MembershipFactory(user=colleague, department=support)

    # Given Dana and Cole both open the request
    dana = open_as(dispatcher, viewport=WIDE)
    dana_page = TicketPage(dana, ticket.pk).open()
    cole = open_as(colleague, viewport=PHONE)
    cole_page = TicketPage(cole, ticket.pk).open()

    # Then each sees the other within a few seconds
    expect(presence(dana, ticket.pk)).to_contain_text(
        re.compile(r"Cole \w+ is viewing"), timeout=12_000
    )
    expect(presence(cole, ticket.pk)).to_contain_text(
        re.compile(r"Dana \w+ is viewing"), timeout=12_000
    )

    # When Cole starts writing, Dana sees it
    cole_page.reply_box.fill("Have you tried another charger?")
    expect(presence(dana, ticket.pk)).to_contain_text(
        re.compile(r"Cole \w+ is writing a reply"), timeout=12_000
    )
    screenshot(dana, "teamwork-presence-1440")
    screenshot(cole, "teamwork-presence-390")

    # When Dana replies first and Cole sends his reply afterwards
    dana_page.reply("Please bring it to the service desk.")
    cole.get_by_role("button", name="Send reply").click()

    # Then Cole's reply is held back with what Dana wrote, his text kept
    warning = cole.locator(".hl-conflict")
    expect(warning).to_contain_text("This request changed while you were working on it")
    expect(warning).to_contain_text(re.compile(r"Dana \w+ replied"))
    expect(cole_page.reply_box).to_have_value("Have you tried another charger?")
    expect(cole_page.thread).to_contain_text("Please bring it to the service desk.")
    screenshot(cole, "teamwork-stale-reply-390")
    assert not ticket.entries.filter(author=colleague).exists()

    # When he sends anyway, it goes through
    warning.get_by_role("button", name="Send anyway").click()
    expect(cole_page.thread).to_contain_text("Have you tried another charger?")
    assert ticket.entries.filter(author=colleague).count() == 1
    # (the held-back reply's 409 is the only thing in the console)
    assert not csp_violations(browser_errors), browser_errors
    assert not script_errors(browser_errors), browser_errors


def test_round_robin_spreads_nine_requests_over_the_present_agents(
    open_as, screenshot, browser_errors, admin_user, support, requester_a
):
    agents = []
    for name in ("Ann", "Ben", "Cat", "Dov"):
        agent = StaffFactory(email=f"{name.lower()}@desk.test", first_name=name, support_line=1)
        MembershipFactory(user=agent, department=support)
        agents.append(agent)
    ann, ben, cat, dov = agents
    assert admin_user.role == Role.ADMIN

    # Given the administrator makes Support round-robin
    admin = open_as(admin_user, viewport=WIDE)
    admin.goto(f"/desk/team/departments/{support.pk}/assignment/")
    screenshot(admin, "teamwork-assignment-1440")
    AssignmentPage(admin, support.pk).choose("Round-robin")
    # and Ben says he is away, from the header menu
    ben_page = open_as(ben, viewport=PHONE)
    ben_page.goto("/desk/")
    MyStatus(ben_page).set("Away")
    ben_page.goto("/desk/team/status/")
    screenshot(ben_page, "teamwork-status-390")
    expect(ben_page.locator('[data-hl-status="away"]')).to_have_count(1)

    # When nine requests arrive
    numbers = [
        services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=f"Badge reader {n} is offline",
            body="It beeps.",
            channel=Channel.PORTAL,
            department=support,
        ).pk
        for n in range(9)
    ]

    # Then each present agent has three and Ben none
    counts = {
        a.first_name: Ticket.objects.filter(pk__in=numbers, assignee=a).count() for a in agents
    }
    assert counts == {"Ann": 3, "Ben": 0, "Cat": 3, "Dov": 3}
    # and the request's history says the rule did it
    page = open_as(ann, viewport=WIDE)
    TicketPage(page, numbers[0]).open()
    expect(
        page.get_by_text(re.compile(r"round-robin rule made Ann \w+ responsible"))
    ).to_be_visible()
    # the side panel marks Ben as away
    expect(page.get_by_label("Responsible")).to_contain_text("Ben")
    assert "(away)" in page.get_by_label("Responsible").inner_text()
    screenshot(page, "teamwork-rule-history-1440")
    assert not browser_errors
