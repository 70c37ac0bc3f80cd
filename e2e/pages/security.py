"""Two-step sign-in: the staff member's security page, adding a key, and the second sign-in step."""

import re

from playwright.sync_api import Page


class SecurityPage:
    path = "/accounts/two-step/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "SecurityPage":
        self.page.goto(self.path)
        return self

    def add_passkey(self, name: str) -> None:
        self.page.get_by_role("link", name="Add a key").click()
        self.page.get_by_label("Name").fill(name)
        self.page.get_by_label("Use it as a passkey").check()
        self.page.get_by_role("button", name="Add the key").click()
        # The first key also makes recovery codes, shown once.
        self.page.wait_for_url(re.compile(r"/accounts/two-step/recovery-codes/$"))


class SecondStepPage:
    path = "/accounts/two-step/authenticate/"

    def __init__(self, page: Page):
        self.page = page

    def use_key(self) -> None:
        self.page.get_by_role("button", name="Use a security key or passkey").click()
        self.page.wait_for_url(re.compile(r"^(?!.*/accounts/)"))
