"""The administrators' mail quarantine and stop list."""

from playwright.sync_api import Page


class QuarantinePage:
    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "QuarantinePage":
        self.page.goto("/manage/mail/quarantine/")
        return self

    def row(self, text: str):
        return self.page.locator("#quarantine-table tbody tr", has_text=text)

    def let_in(self, text: str) -> None:
        self.row(text).get_by_role("button", name="Let in").click()


class StopRulePage:
    def __init__(self, page: Page):
        self.page = page

    def create(self, *, kind: str, pattern: str, action: str) -> None:
        self.page.goto("/manage/mail/stop-rules/new/")
        self.page.get_by_label("Match on").select_option(label=kind)
        self.page.get_by_label("Pattern").fill(pattern)
        self.page.get_by_label("Action").select_option(label=action)
        self.page.get_by_role("button", name="Save").click()

    def open_rule(self, pattern: str) -> None:
        self.page.goto("/manage/mail/stop-rules/")
        self.page.get_by_role("link", name=pattern).click()

    def hits(self):
        return self.page.locator("#stop-rule-hit-list li")
