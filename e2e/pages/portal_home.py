"""The portal's front page at /."""

from playwright.sync_api import Page


class PortalHomePage:
    path = "/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "PortalHomePage":
        self.page.goto(self.path)
        return self

    def start_request(self) -> None:
        self.page.get_by_role("link", name="Submit a request").click()
        self.page.wait_for_url("**/requests/new/")
