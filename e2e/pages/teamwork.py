"""Working together: presence on the ticket page, one's status in the header menu, a
department's assignment rule."""

from playwright.sync_api import Locator, Page, expect


def presence(page: Page, number: int) -> Locator:
    """Who else is on request `number` (the line under its header)."""
    return page.locator(f"#ticket-{number}-presence")


class MyStatus:
    def __init__(self, page: Page):
        self.page = page

    def set(self, state: str, *, until: str = "") -> None:
        """From the header menu: the status page, then back where one was."""
        self.page.locator(".hl-topbar .dropdown-toggle").click()
        self.page.get_by_role("link", name="change status").click()
        self.page.get_by_role("radio", name=state).check()
        if until:
            self.page.get_by_label("Until").fill(until)
        self.page.get_by_role("button", name="Save").click()
        expect(self.page.get_by_text("Your status is saved.")).to_be_visible()


class AssignmentPage:
    def __init__(self, page: Page, department_pk: int):
        self.page = page
        self.department_pk = department_pk

    def choose(self, mode: str) -> None:
        self.page.goto(f"/manage/departments/{self.department_pk}/")
        self.page.get_by_role("link", name="Assignment of new requests…").click()
        self.page.get_by_role("radio", name=mode).check()
        self.page.get_by_role("button", name="Save").click()
        expect(self.page.get_by_text("saved.").first).to_be_visible()
