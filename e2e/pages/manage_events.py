"""Administration: the event log at /manage/events/."""

from playwright.sync_api import Locator, Page


class EventLogPage:
    path = "/manage/events/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "EventLogPage":
        self.page.goto(self.path)
        return self

    def rows(self, action: str) -> Locator:
        """Rows of the log whose action badge reads `action` (e.g. "department.created")."""
        table = self.page.get_by_role("table")
        return table.get_by_role("row").filter(has=self.page.get_by_role("link", name=action))
