"""A mail entry in the ticket page's thread: its sandboxed HTML frame, remote images, quotes."""

from playwright.sync_api import FrameLocator, Locator, Page


class MailEntry:
    def __init__(self, page: Page, entry: int):
        self.page = page
        self.entry = entry

    @property
    def article(self) -> Locator:
        return self.page.locator(f"#entry-{self.entry}")

    @property
    def frame_element(self) -> Locator:
        return self.page.locator(f"#mail-{self.entry}-frame")

    @property
    def frame(self) -> FrameLocator:
        return self.page.frame_locator(f"#mail-{self.entry}-frame")

    @property
    def load_remote_images(self) -> Locator:
        return self.article.get_by_role("link", name="Load remote images")

    def show_quoted_text(self, *, in_frame: bool) -> None:
        where = self.frame.locator("body") if in_frame else self.article
        where.get_by_text("Show quoted text").click()
