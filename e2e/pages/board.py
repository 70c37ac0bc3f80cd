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
        link = self.page.get_by_role("navigation", name="Views", exact=True).get_by_role(
            "link", name=label
        )
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

    # --- the filter bar (a sheet on a phone) ---------------------------------------------------

    @property
    def filter_bar(self) -> Locator:
        return self.page.get_by_role("search", name="Filter requests")

    def open_filters(self) -> Locator:
        """On a phone the filters live in a sheet behind the "Filters" button; returns the sheet."""
        sheet = self.page.locator("#filter-sheet")
        button = self.filter_bar.get_by_role("button", name="Filters")
        if button.is_visible():
            button.click()
            expect(sheet).to_be_visible()
        return sheet

    def close_filters(self) -> None:
        done = self.page.get_by_role("button", name="Show requests")
        if done.is_visible():
            done.click()
            expect(self.page.locator("#filter-sheet")).to_be_hidden()

    def choose(self, label: str, typed: str, option: str) -> None:
        """Type into a typeahead filter and pick one of the options the server suggests."""
        sheet = self.open_filters()
        field = sheet.get_by_role("combobox", name=label)
        field.click()
        field.press_sequentially(typed, delay=30)
        # An option's name may carry a detail after it (an organisation's domain).
        choice = self.page.get_by_role("listbox", name=label).get_by_role("option", name=option)
        choice.click()
        expect(field).to_have_value(option)

    def chip(self, label: str) -> Locator:
        return self.page.get_by_role("list", name="Active filters").get_by_role("link", name=label)

    @property
    def live_notice(self) -> Locator:
        return self.page.locator("#board-live")

    def changed_row(self, subject: str) -> Locator:
        """The row, once the live board has marked it as changed since the page opened."""
        return self.page.locator("tr[data-hl-row].hl-row-changed").filter(
            has=self.ticket_link(subject)
        )

    def filter_by(self, label: str, option: str) -> "BoardPage":
        """Choose a filter; the list follows without a button (htmx), the address bar too."""
        field = self.page.locator("#board-filters").get_by_label(label, exact=True)
        with self.page.expect_response(lambda r: "/desk/?" in r.url and r.ok):
            field.select_option(label=option)
        return self
