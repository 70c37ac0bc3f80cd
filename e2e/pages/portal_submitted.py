"""The confirmation after a portal request, with its number."""

from playwright.sync_api import Page, expect


class SubmittedPage:
    def __init__(self, page: Page):
        self.page = page

    @property
    def number(self) -> int:
        expect(self.page.get_by_role("heading", name="we have your request")).to_be_visible()
        return int(self.page.locator("[data-hl-request-number]").inner_text().strip().lstrip("#"))

    def open_request(self) -> None:
        self.page.get_by_role("link", name="Open request").click()
        self.page.wait_for_url("**/requests/*/")
