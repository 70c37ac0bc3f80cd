"""A requester's request page in the portal: the public thread, reply, solved or not."""

from playwright.sync_api import Locator, Page, expect


class PortalRequestPage:
    def __init__(self, page: Page, number: int):
        self.page = page
        self.number = number

    def open(self) -> "PortalRequestPage":
        self.page.goto(f"/requests/{self.number}/")
        return self

    @property
    def conversation(self) -> Locator:
        return self.page.get_by_role("region", name="Conversation")

    @property
    def status(self) -> Locator:
        return self.page.locator("[data-hl-status]")

    def confirm_solved(self) -> None:
        self.page.get_by_role("button", name="Yes, it is solved").click()
        expect(self.status).to_have_text("Closed")
