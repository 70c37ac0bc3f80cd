"""Reply templates: the reply box's template typeahead and the board's macro bulk action."""

from playwright.sync_api import Locator, Page, expect


class TemplatePicker:
    """The template box above a request's reply (Alt+T)."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def box(self) -> Locator:
        return self.page.get_by_role("combobox", name="Insert a reply template")

    @property
    def options(self) -> Locator:
        return self.page.get_by_role("listbox", name="Reply templates").get_by_role("option")

    def open_by_keyboard(self) -> None:
        self.page.keyboard.press("Alt+t")
        expect(self.box).to_be_focused()

    def insert_by_keyboard(self, typed: str, name: str) -> None:
        """Type, wait for the suggestion, arrow to it and press Enter."""
        self.box.press_sequentially(typed, delay=30)
        option = self.options.filter(has_text=name)
        expect(option).to_have_count(1)
        while option.get_attribute("aria-selected") != "true":
            self.box.press("ArrowDown")
        self.box.press("Enter")


class BulkMacro:
    """The board's bulk bar, applying a macro to the ticked requests."""

    def __init__(self, page: Page):
        self.page = page

    def apply(self, name: str) -> None:
        bar = self.page.get_by_role("region", name="Bulk actions")
        bar.get_by_role("button", name="Macro…").click()
        choice = bar.get_by_label("Macro", exact=True)
        expect(choice).to_be_visible()
        choice.select_option(label=name)
        bar.get_by_role("button", name="Apply").click()
