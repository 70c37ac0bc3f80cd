"""The help centre's pages (/help/) and the suggestions beside the new-request form."""

from playwright.sync_api import Page


class HelpArticlePage:
    def __init__(self, page: Page):
        self.page = page

    def open(self, pk: int) -> "HelpArticlePage":
        self.page.goto(f"/help/articles/{pk}/")
        return self

    def mark_helpful(self) -> None:
        self.page.get_by_role("button", name="Yes", exact=True).click()

    @property
    def thanks(self):
        return self.page.locator("[data-hl-voted]")


class Suggestions:
    """The "These answers may help" panel beside the new-request form."""

    def __init__(self, page: Page):
        self.page = page
        self.panel = page.locator("#kb-suggestions")

    def link(self, title: str):
        return self.panel.get_by_role("link", name=title)


class ModerationPage:
    path = "/desk/kb/comments/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "ModerationPage":
        self.page.goto(self.path)
        return self

    def select(self, text: str) -> None:
        self.page.get_by_label(text).check()

    def approve(self) -> None:
        self.page.get_by_role("button", name="Approve selected").click()
