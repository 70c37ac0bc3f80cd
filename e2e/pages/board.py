"""The agents' ticket board at /desk/: views, rows, keyboard movement."""

from playwright.sync_api import Locator, Page, expect


class BoardPage:
    path = "/desk/"

    def __init__(self, page: Page):
        self.page = page

    def open(self, view: str | None = None) -> "BoardPage":
        self.page.goto(self.path + (f"?view={view}" if view else ""))
        return self

    def show_view(self, label: str) -> "BoardPage":
        link = self.page.get_by_role("navigation", name="Views").get_by_role("link", name=label)
        link.click()
        # The new page marks its view as the current one.
        expect(link).to_have_attribute("aria-current", "page")
        return self

    @property
    def rows(self) -> Locator:
        return self.page.locator("tr[data-hl-row]")

    def ticket_link(self, subject: str) -> Locator:
        return self.page.get_by_role("link", name=subject, exact=True)

    def row(self, subject: str) -> Locator:
        return self.rows.filter(has=self.ticket_link(subject))

    def open_ticket(self, subject: str) -> None:
        self.ticket_link(subject).click()
        self.page.wait_for_url("**/desk/tickets/*/")
