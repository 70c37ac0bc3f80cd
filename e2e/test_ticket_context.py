"""Journey: an agent on a long request sees who asks, folds the history, replies from anywhere
and merges a duplicate found by typing, all from the keyboard."""

import re

from playwright.sync_api import expect

from e2e.pages.ticket import TicketPage
from helpline.tickets import services
from helpline.tickets.models import Channel


def _request(requester, department, subject):
    return services.ticket_create(
        actor=requester,
        requester=requester,
        subject=subject,
        body="Details follow.",
        channel=Channel.PORTAL,
        department=department,
    )


def test_long_request_with_context_fold_reply_and_merge(
    open_as, screenshot, browser_errors, requester_a, requester_a2, dispatcher, support, org_a
):
    # Given Alice's request with a long thread, her duplicate, and Arthur's similar request
    org_a.notes = "Key account: call before closing."
    org_a.save()
    ticket = _request(requester_a, support, "VPN drops every ten minutes")
    duplicate = _request(requester_a, support, "VPN keeps dropping")
    _request(requester_a2, support, "VPN slow")
    services.ticket_take(ticket=ticket, actor=dispatcher)
    ticket.refresh_from_db()
    services.ticket_update(ticket=ticket, actor=dispatcher, impact=3, urgency=3)
    for n in range(12):
        ticket.refresh_from_db()
        author = requester_a if n % 2 else dispatcher
        services.ticket_reply_add(ticket=ticket, actor=author, body=f"Message {n}\n" + "line\n" * 8)

    desk = open_as(dispatcher)
    page = TicketPage(desk, ticket.pk).open()

    # The requester panel: her other request, the organisation's open count and notes
    requester_panel = desk.get_by_role("region", name="Requester")
    expect(
        requester_panel.get_by_role("link", name=re.compile("VPN keeps dropping"))
    ).to_be_visible()
    expect(requester_panel).to_contain_text("Key account: call before closing.")
    expect(requester_panel).to_contain_text("3 open")
    screenshot(desk, "30-desk-ticket-requester-panel", full_page=False)

    # The run of history (taken, classified) is one line; opening it shows each change
    run = page.thread.locator("details.hl-event-run")
    expect(run).to_have_count(1)
    expect(run.locator("summary")).to_contain_text("changes")
    expect(run.get_by_text(re.compile("took the request"))).to_be_hidden()
    run.locator("summary").focus()
    desk.keyboard.press("Enter")
    expect(run.get_by_text(re.compile("took the request"))).to_be_visible()

    # From the top of the long thread, the Reply button takes her to the reply box
    desk.evaluate("window.scrollTo(0, 0)")
    jump = desk.get_by_role("link", name="Reply", exact=True)
    expect(jump).to_be_visible()
    jump.click()
    expect(page.reply_box).to_be_focused()
    expect(page.reply_box).to_be_in_viewport()
    expect(jump).to_be_hidden()  # steps aside while the composer is on screen
    desk.keyboard.press("Escape")

    # Merge: typing "drop" suggests her duplicate first; Arthur's is not offered for a merge
    desk.get_by_role("button", name="More", exact=True).click()
    desk.get_by_role("button", name="Merge into…").click()
    dialog = desk.get_by_role("dialog", name=re.compile("Merge"))
    field = dialog.get_by_label("Merge into request number")
    # The field has the focus, and Alice's other open request is suggested before any typing
    expect(field).to_be_focused()
    suggestions = dialog.get_by_role("group", name="Suggestions")
    expect(suggestions.get_by_role("button")).to_have_count(1)
    field.press_sequentially("vpn", delay=30)
    expect(suggestions.get_by_role("button")).to_have_count(2)
    first = suggestions.get_by_role("button").first
    expect(first).to_contain_text("VPN keeps dropping")
    expect(suggestions.get_by_role("button", name=re.compile("VPN slow"))).to_be_disabled()
    screenshot(desk, "31-desk-merge-suggestions", full_page=False)
    field.press("ArrowDown")
    expect(first).to_be_focused()
    desk.keyboard.press("Enter")
    expect(field).to_have_value(f"#{duplicate.pk}")
    expect(dialog.get_by_role("button", name="Merge", exact=True)).to_be_focused()
    desk.keyboard.press("Enter")

    desk.wait_for_url(f"**/desk/tickets/{duplicate.pk}/")
    ticket.refresh_from_db()
    assert ticket.merged_into_id == duplicate.pk

    # On a phone the merged, long thread still has the Reply button within reach
    desk.set_viewport_size({"width": 390, "height": 844})
    desk.evaluate("window.scrollTo(0, 0)")
    expect(jump).to_be_visible()
    screenshot(desk, "34-desk-ticket-390-reply-button", full_page=False)
    jump.click()
    expect(page.reply_box).to_be_focused()
    assert not browser_errors, "\n".join(browser_errors)
