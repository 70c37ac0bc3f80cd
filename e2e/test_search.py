"""An agent finds a request by a word that only an internal note holds, on the search page,
and opens the note it came from; the page on a phone and on a wide screen."""

from playwright.sync_api import expect

from e2e.conftest import PHONE, WIDE
from helpline.tickets import services
from helpline.tickets.models import Channel


def test_agent_finds_a_request_by_a_word_of_an_internal_note(
    open_as, screenshot, browser_errors, support, dispatcher, requester_a
):
    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="The meeting room display stays black",
        body="Nothing shows when we plug in a laptop.",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_note_add(
        ticket=ticket, actor=dispatcher, body="The HDMI switcher needs a firmware update."
    )
    note = ticket.entries.get(kind="note")

    # Given an agent on the desk who opens the search page from the sidebar
    page = open_as(dispatcher, viewport=WIDE)
    page.goto("/desk/")
    page.get_by_role("link", name="Search", exact=True).first.click()

    # When they search for a word that only the internal note holds
    page.locator("#id_q").fill("switchers firmware")
    page.get_by_role("button", name="Search", exact=True).click()

    # Then the request is found, the note's words are highlighted, and the result names the note
    result = page.locator(".hl-search-result").first
    expect(result).to_contain_text("The meeting room display stays black")
    expect(result.locator("mark").first).to_have_text("switcher")
    expect(result).to_contain_text("In an internal note")
    screenshot(page, "search-1440")

    # And the link leads to the note on the request's page
    result.get_by_role("link", name="In an internal note").click()
    expect(page).to_have_url(
        f"{page.url.split('/desk/')[0]}/desk/tickets/{ticket.pk}/#entry-{note.pk}"
    )
    expect(page.locator(f"#entry-{note.pk}")).to_contain_text("firmware update")

    phone = open_as(dispatcher, viewport=PHONE)
    phone.goto("/desk/search/?q=firmware")
    expect(phone.locator(".hl-search-result")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "search-390")
    assert browser_errors == []
