"""Accessibility: axe-core finds no WCAG 2.1 A/AA violation on the pages people use every day.

Norway's universal-design rules require WCAG 2.1 AA for web solutions. Each page is scanned in
the light and in the dark theme, after it has loaded, with axe-core's rules for those levels.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils.html import strip_tags
from playwright.sync_api import Page, expect

from e2e.pages.login import LoginPage
from helpline.accounts.tests.factories import MembershipFactory, OrganisationFactory, StaffFactory
from helpline.tickets import services
from helpline.tickets.models import Channel, Status

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()


def violations(page: Page) -> list[str]:
    """One line per violated rule and element: rule, impact, selector, axe's summary."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    lines = []
    for rule in results.response["violations"]:
        for node in rule["nodes"]:
            summary = strip_tags(node.get("failureSummary", "")).replace("\n", " ")
            lines.append(f"{page.url} [{rule['id']}/{rule['impact']}] {node['target']}: {summary}")
    return lines


# Status and priority never by colour alone: every coloured status or priority mark has a name.
COLOUR_ONLY = """() => Array.from(document.querySelectorAll(
    '[class*="hl-status-"], [class*="hl-pstatus-"], [class*="hl-prio-"]:not(.hl-matrix-cell)'
  )).filter(el => !el.innerText.trim()).map(el => el.className)"""


def scan(page: Page, paths: list[str], found: list[str]) -> None:
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found.extend(violations(page))
        found.extend(f"{page.url} colour only: {css}" for css in page.evaluate(COLOUR_ONLY))


def desk_data(requester_a, dispatcher, admin_user, support, org_a):
    """A request with a thread (replies, a note, status and field changes) and its neighbours.

    Made in the test, not in a fixture: the journeys' database is restored from the migrations'
    seed (statuses) only once the test starts (e2e/conftest.py)."""
    org_a.notes = "Key account: call before closing."
    org_a.save()
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN drops every ten minutes",
        body="Since Monday the VPN disconnects.",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_take(ticket=ticket, actor=dispatcher)
    ticket.refresh_from_db()
    services.ticket_reply_add(ticket=ticket, actor=dispatcher, body="Which client version?")
    ticket.refresh_from_db()
    services.ticket_note_add(ticket=ticket, actor=dispatcher, body="Probably the new firewall.")
    ticket.refresh_from_db()
    services.ticket_update(
        ticket=ticket,
        actor=dispatcher,
        status=Status.objects.filter(category="pending").first(),
    )
    ticket.refresh_from_db()
    services.ticket_reply_add(ticket=ticket, actor=requester_a, body="Version 5.1.")
    other = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Printer on floor 2",
        body="It jams.",
        channel=Channel.EMAIL,
        department=support,
    )
    OrganisationFactory(name="Initech", domain="initech.test")
    # The staff list with a department manager and someone who left.
    MembershipFactory(
        user=StaffFactory(email="lead@desk.test"), department=support, can_manage=True
    )
    StaffFactory(email="gone@desk.test", is_active=False)
    gone = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Old duplicate",
        body="-",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_delete(ticket=gone, actor=admin_user)
    return ticket, other


@pytest.mark.parametrize(
    ("scheme", "width"),
    [("light", 1366), ("dark", 1366), ("light", 390)],
    ids=["light", "dark", "phone"],
)
def test_no_wcag_violations(
    browser,
    live_server,
    screenshot,
    scheme,
    width,
    dispatcher,
    requester_a,
    admin_user,
    support,
):
    ticket, other = desk_data(
        requester_a, dispatcher, admin_user, support, requester_a.organisation
    )
    found: list[str] = []
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 900},
        locale="en",
        color_scheme=scheme,
        # Bootstrap drops its fades: axe measures dialogs, not half-faded ones.
        reduced_motion="reduce",
    )
    try:
        page = context.new_page()
        # Signed out: the sign-in page and the portal's public pages.
        scan(page, ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"], found)

        LoginPage(page).sign_in(requester_a.email, "secret-pass-123")
        scan(
            page,
            ["/", "/requests/", "/requests/new/", "/accounts/profile/", f"/requests/{ticket.pk}/"],
            found,
        )
        screenshot(page, f"33-portal-request-{scheme}-{width}")
        context.clear_cookies()

        LoginPage(page).sign_in(dispatcher.email, "secret-pass-123")
        scan(
            page,
            [
                "/desk/",
                "/desk/?view=all",
                "/desk/?view=trash",
                "/desk/new/",
                "/desk/replies/",
                "/desk/replies/new/",
                f"/desk/tickets/{ticket.pk}/",
            ],
            found,
        )
        # The ticket page with its folded history open, then the merge dialog with suggestions.
        page.locator("details.hl-event-run").evaluate_all(
            "runs => runs.forEach(r => r.open = true)"
        )
        found.extend(violations(page))
        screenshot(page, f"32-desk-ticket-{scheme}-{width}")
        page.get_by_role("button", name="More", exact=True).click()
        page.get_by_role("button", name="Merge into…").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Merge into request number").press_sequentially("printer")
        expect(dialog.get_by_role("group", name="Suggestions")).to_be_visible()
        found.extend(violations(page))
        context.clear_cookies()

        LoginPage(page).sign_in(admin_user.email, "secret-pass-123")
        scan(
            page,
            [
                "/manage/",
                "/manage/departments/",
                "/manage/staff/",
                f"/manage/staff/{dispatcher.pk}/",
                "/manage/organisations/",
                "/manage/requesters/",
                f"/manage/requesters/{requester_a.pk}/",
                "/manage/statuses/",
                "/manage/priorities/",
                "/manage/topics/",
                "/manage/settings/",
                "/manage/events/",
                "/manage/replies/",
                "/manage/mail/",
                "/manage/departments/new/",
                f"/manage/departments/{support.pk}/",
                "/manage/staff/new/",
                "/manage/organisations/new/",
                f"/manage/organisations/{requester_a.organisation_id}/",
                f"/manage/people/{requester_a.pk}/",
                "/manage/statuses/new/",
                "/manage/topics/new/",
                "/accounts/profile/",
                "/accounts/two-step/",
                "/accounts/two-step/totp/activate/",
            ],
            found,
        )
    finally:
        context.close()
    assert not found, "\n".join(found)


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const ringed = style.boxShadow && style.boxShadow !== "none";
  const text = el.innerText || el.getAttribute("aria-label") || el.name || "";
  return {tag: el.tagName, text: text.trim().slice(0, 40), visible: outlined || ringed};
}"""


def test_keyboard_focus_is_always_visible(
    open_as, dispatcher, requester_a, admin_user, support, org_a
):
    ticket, _ = desk_data(requester_a, dispatcher, admin_user, support, org_a)
    pages = [
        (dispatcher, ["/desk/", f"/desk/tickets/{ticket.pk}/"]),
        (requester_a, ["/", f"/requests/{ticket.pk}/"]),
    ]
    unseen = []
    for user, paths in pages:
        page = open_as(user)
        for path in paths:
            page.goto(path)
            for _ in range(40):
                page.keyboard.press("Tab")
                focused = page.evaluate(FOCUS_STYLE)
                if focused and not focused["visible"]:
                    unseen.append(f"{path}: {focused['tag']} {focused['text']!r}")
    assert not unseen, "\n".join(unseen)
