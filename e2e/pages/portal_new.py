"""The portal's new-request form at /requests/new/."""

import re

from playwright.sync_api import Page

from .portal_submitted import SubmittedPage


class NewRequestPage:
    path = "/requests/new/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "NewRequestPage":
        self.page.goto(self.path)
        return self

    def fill(self, *, topic: str, kind: str, subject: str, description: str) -> "NewRequestPage":
        self.page.get_by_label("What is it about?").select_option(label=topic)
        self.page.get_by_role("radio", name=re.compile(rf"^{re.escape(kind)}\b")).check()
        self.page.get_by_label("Subject").fill(subject)
        self.page.get_by_label("Description").fill(description)
        return self

    def send(self) -> SubmittedPage:
        self.page.get_by_role("button", name="Send request").click()
        self.page.wait_for_url("**/requests/submitted/")
        return SubmittedPage(self.page)
