"""The sign-in form at /accounts/login/."""

import re

from playwright.sync_api import Page


class LoginPage:
    path = "/accounts/login/"

    def __init__(self, page: Page):
        self.page = page

    def sign_in(self, email: str, password: str) -> None:
        self.submit(email, password)
        self.page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    def submit(self, email: str, password: str) -> None:
        self.page.goto(self.path)
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in", exact=True).click()

    def sign_in_with_passkey(self) -> None:
        self.page.goto(self.path)
        self.page.get_by_role("button", name="Sign in with a passkey").click()
