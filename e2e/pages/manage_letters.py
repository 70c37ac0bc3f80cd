"""Administration: the letters at /manage/mail/letters/ and one letter's editor."""

from playwright.sync_api import Locator, Page


class LettersPage:
    path = "/manage/mail/letters/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "LettersPage":
        self.page.goto(self.path)
        return self

    def edit(self, letter: str, language: str) -> "LetterEditor":
        self.page.get_by_role("link", name=f"Edit “{letter}” in {language}").click()
        return LetterEditor(self.page)


class LetterEditor:
    def __init__(self, page: Page):
        self.page = page

    @property
    def subject(self) -> Locator:
        return self.page.get_by_label("Subject")

    @property
    def text(self) -> Locator:
        return self.page.get_by_label("Text")

    @property
    def preview(self) -> Locator:
        return self.page.locator("#letter-preview")

    def save(self) -> None:
        self.page.get_by_role("button", name="Save").click()

    def field_error(self) -> Locator:
        """The message under the text field."""
        return self.page.locator("#letter-form .invalid-feedback")
