"""Administration: opening a staff account, then ticking its department rights."""

from playwright.sync_api import Page, expect


class NewStaffPage:
    path = "/manage/staff/new/"

    def __init__(self, page: Page):
        self.page = page

    def create(
        self, *, first_name: str, last_name: str, email: str, line: str, password: str
    ) -> None:
        """Open an agent's account; lands on the account's page with its department rights."""
        self.page.goto(self.path)
        self.page.get_by_label("First name").fill(first_name)
        self.page.get_by_label("Last name").fill(last_name)
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Role").select_option(label="Agent")
        self.page.get_by_label("Support line").select_option(label=line)
        self.page.get_by_label("Initial password").fill(password)
        self.page.get_by_role("button", name="Open account").click()
        expect(self.page.get_by_text("Departments and rights")).to_be_visible()

    def grant(self, department: str, *rights: str) -> None:
        """Tick `rights` ("View", "Reply", ...) in `department` and save the account."""
        for right in rights:
            self.page.get_by_label(f"{department}: {right}", exact=True).check()
        self.page.get_by_role("button", name="Save", exact=True).click()
        expect(self.page.get_by_role("status").filter(has_text="saved.")).to_be_visible()
