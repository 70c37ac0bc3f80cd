"""The agents' ticket page: header actions, side panel, composer, thread with its history."""

from playwright.sync_api import Locator, Page, expect

from .widgets import select_containing


class TicketPage:
    def __init__(self, page: Page, number: int):
        self.page = page
        self.number = number

    def open(self) -> "TicketPage":
        self.page.goto(f"/desk/tickets/{self.number}/")
        return self

    @property
    def header(self) -> Locator:
        return self.page.locator(f"#ticket-{self.number}-header")

    @property
    def properties(self) -> Locator:
        return self.page.get_by_role("complementary", name="Properties")

    @property
    def thread(self) -> Locator:
        return self.page.get_by_role("region", name="Conversation")

    @property
    def reply_box(self) -> Locator:
        return self.page.get_by_role("textbox", name="Reply to the requester")

    @property
    def take_button(self) -> Locator:
        return self.header.get_by_role("button", name="Take", exact=True)

    def take(self) -> None:
        self.take_button.click()
        expect(self.header.get_by_text("You are responsible")).to_be_visible()

    def classify(self, *, ticket_class: str, impact: str, urgency: str, priority: str) -> None:
        side = self.properties
        side.get_by_label("Class").select_option(label=ticket_class)
        side.get_by_label("Impact").select_option(label=impact)
        side.get_by_label("Urgency").select_option(label=urgency)
        side.get_by_label("Priority").select_option(label=priority)
        side.get_by_role("button", name="Save changes").click()
        expect(self.header.get_by_title("Priority")).to_contain_text(priority)

    def escalate(self, *, department: str, reason: str) -> None:
        self.header.get_by_role("button", name="Escalate").click()
        dialog = self.page.get_by_role("dialog", name="Escalate to the next line")
        expect(dialog).to_be_visible()
        select_containing(dialog.get_by_label("Department (optional)"), department)
        dialog.get_by_label("Reason").fill(reason)
        dialog.get_by_role("button", name="Escalate").click()
        expect(dialog).to_be_hidden()
        expect(self.header.get_by_title("Department and line")).to_contain_text(department)

    def reply(self, text: str, *, status: str | None = None) -> None:
        self.reply_box.fill(text)
        if status:
            self.page.get_by_label("and set status to").select_option(label=status)
        self.page.get_by_role("button", name="Send reply").click()
        expect(self.thread).to_contain_text(text)

    def note(self, text: str, *, files: list[dict] | None = None) -> None:
        self.page.get_by_role("tab", name="Internal note").click()
        self.page.get_by_role("textbox", name="Internal note").fill(text)
        if files:
            self.page.locator("#note-attachments").set_input_files(files)
        self.page.get_by_role("button", name="Add internal note").click()
        expect(self.thread.get_by_role("article", name="Internal note")).to_contain_text(text)

    def delete(self) -> None:
        """Delete to the trash, accepting the browser's confirmation."""
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.header.get_by_role("button", name="More", exact=True).click()
        self.header.get_by_role("button", name="Delete").click()
        expect(self.header.get_by_text("In the trash")).to_be_visible()

    def restore(self) -> None:
        self.header.get_by_role("button", name="Restore").click()
        expect(self.header.get_by_text("In the trash")).to_be_hidden()

    def unfold_history(self) -> None:
        """Open every folded run of history lines, as a click on each would."""
        folded = self.thread.locator("details.hl-event-run:not([open]) > summary")
        while folded.count():
            folded.first.click()

    def history(self) -> list[str]:
        """The thread's event lines (history), each as one sentence, with every fold opened."""
        self.unfold_history()
        return [line.strip() for line in self.thread.locator(".hl-event").all_inner_texts()]
