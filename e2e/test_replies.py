"""Journeys: a macro applied to five requests from the board's bulk bar; an agent inserts a
reply template into the reply box by keyboard and sends it, the macro applied with it."""

from playwright.sync_api import expect

from e2e.conftest import PHONE, WIDE
from e2e.pages.board import BoardPage
from e2e.pages.replies import BulkMacro, TemplatePicker
from e2e.pages.ticket import TicketPage
from helpline.replies.models import Scope
from helpline.replies.tests.factories import ReplyTemplateFactory, ReplyTextFactory
from helpline.tickets.models import EntryKind, Priority, StatusCategory, Ticket
from helpline.tickets.tests.factories import TicketFactory, status_of


def test_a_macro_applied_to_five_requests_changes_them_and_leaves_history(
    open_as, screenshot, browser_errors, dispatcher, support, requester_a
):
    # Given five open requests and Support's "Printer known issue" macro
    tickets = [
        TicketFactory(
            department=support,
            requester=requester_a,
            category=StatusCategory.OPEN,
            subject=f"Printer {n} prints blank pages",
        )
        for n in range(5)
    ]
    macro = ReplyTemplateFactory(
        name="Printer known issue",
        scope=Scope.DEPARTMENT,
        department=support,
        category="Printing",
        set_status=status_of(StatusCategory.PENDING),
        set_priority=Priority.HIGH,
        add_tags=["printer-fw"],
    )
    ReplyTextFactory(
        template=macro,
        body="Hello {{ requester_first_name }}, a fix for {{ ticket_number }} is on its way.",
    )

    # When the dispatcher ticks all five on the board and applies the macro
    desk = open_as(dispatcher)
    board = BoardPage(desk).open("open")
    expect(board.rows).to_have_count(5)
    desk.get_by_role("checkbox", name="Select all on this page").check()
    BulkMacro(desk).apply("Printer known issue · Printing")

    # Then the desk says so, and every request is changed, with history
    expect(desk.get_by_text("Macro “Printer known issue” applied to 5 requests.")).to_be_visible()
    screenshot(desk, "replies-bulk-macro")
    for ticket in tickets:
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert ticket.status_category == StatusCategory.PENDING
        assert ticket.priority == Priority.HIGH
        assert list(ticket.tags.values_list("name", flat=True)) == ["printer-fw"]
        assert ticket.entries.get(kind=EntryKind.REPLY).body == (
            f"Hello Alice, a fix for #{ticket.pk} is on its way."
        )
        fields = set(ticket.entries.filter(kind=EntryKind.EVENT).values_list("field", flat=True))
        assert {"status", "priority", "tags"} <= fields
    page = TicketPage(desk, tickets[0].pk).open()
    history = " ".join(page.history())
    assert "Priority" in history or "priority" in history
    assert browser_errors == []


def test_an_agent_inserts_a_template_by_keyboard_and_sends_it(
    open_as, screenshot, browser_errors, dispatcher, support, requester_a
):
    # Given a request from Alice, who reads Norwegian, and a personal macro with two languages
    requester_a.language = "nb"
    requester_a.save()
    ticket = TicketFactory(
        department=support, requester=requester_a, category=StatusCategory.OPEN, subject="VPN"
    )
    template = ReplyTemplateFactory(
        name="Need a screenshot", scope=Scope.PERSONAL, owner=dispatcher, add_tags=["waiting-info"]
    )
    ReplyTextFactory(
        template=template, language="en", body="Hi {{ requester_first_name }}, a screenshot please."
    )
    ReplyTextFactory(
        template=template,
        language="nb",
        body="Hei {{ requester_first_name }}, send et skjermbilde.",
    )
    ReplyTemplateFactory(name="Something else")

    # When the agent opens the request, presses Alt+T, types and picks the template by keyboard
    desk = open_as(dispatcher, viewport=WIDE)
    page = TicketPage(desk, ticket.pk).open()
    picker = TemplatePicker(desk)
    picker.open_by_keyboard()
    picker.insert_by_keyboard("screen", "Need a screenshot")

    # Then the Norwegian text is in the reply, the cursor after it, and the macro is attached
    expect(page.reply_box).to_be_focused()
    expect(page.reply_box).to_have_value("Hei Alice, send et skjermbilde.")
    expect(desk.get_by_text("Need a screenshot — its actions run when you send")).to_be_visible()
    screenshot(desk, "replies-reply-box-1440", full_page=False)
    desk.keyboard.type(" Takk!")
    desk.get_by_role("button", name="Send reply").click()

    # And the reply goes out with the macro's tag, and the use is counted
    expect(page.thread).to_contain_text("Hei Alice, send et skjermbilde. Takk!")
    ticket.refresh_from_db()
    assert list(ticket.tags.values_list("name", flat=True)) == ["waiting-info"]
    template.refresh_from_db()
    assert template.usage_count == 1
    assert browser_errors == []


def test_template_pages_on_a_phone_and_a_wide_screen(open_as, screenshot, supervisor, support):
    template = ReplyTemplateFactory(
        name="Password reset",
        category="Accounts",
        scope=Scope.DEPARTMENT,
        department=support,
        set_status=status_of(StatusCategory.RESOLVED),
    )
    ReplyTextFactory(
        template=template, body="Hello {{ requester_name }},\n\nyour password is reset."
    )
    ReplyTextFactory(template=template, language="nb", body="Hei {{ requester_name }}")
    for viewport, name in ((PHONE, "390"), (WIDE, "1440")):
        desk = open_as(supervisor, viewport=viewport)
        desk.goto("/desk/replies/")
        expect(desk.get_by_role("heading", name="Reply templates", exact=True)).to_be_visible()
        screenshot(desk, f"replies-list-{name}")
        desk.goto(f"/desk/replies/{template.pk}/")
        expect(desk.get_by_label("Text in English")).to_have_value(
            "Hello {{ requester_name }},\n\nyour password is reset."
        )
        screenshot(desk, f"replies-editor-{name}")
