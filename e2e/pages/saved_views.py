"""Saved views: the sidebar's list and its "Save this view" form, and the page at /desk/views/."""

from playwright.sync_api import Locator, Page, expect


class SavedViews:
    """The saved views in the desk's sidebar (any desk page)."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def nav(self) -> Locator:
        return self.page.get_by_role("navigation", name="Saved views")

    def link(self, name: str) -> Locator:
        return self.nav.locator("a[data-hl-saved-view]").filter(has_text=name)

    @property
    def names(self) -> Locator:
        """The views' names, in the sidebar's order."""
        return self.nav.locator("a[data-hl-saved-view] .text-truncate")

    def count_of(self, name: str) -> Locator:
        return self.link(name).locator("[data-hl-count]")

    def save_current(self, name: str, *, shared_with: str | None = None) -> None:
        """Save what the board shows now, from the sidebar's form."""
        self.page.get_by_text("Save this view").click()
        self.page.get_by_label("Name", exact=True).fill(name)
        if shared_with:
            self.page.get_by_label("Shared with").select_option(label=shared_with)
        self.page.get_by_role("button", name="Save view").click()
        expect(self.link(name)).to_have_attribute("aria-current", "page")


class SavedViewsPage:
    path = "/desk/views/"

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "SavedViewsPage":
        self.page.goto(self.path)
        return self

    def item(self, name: str) -> Locator:
        return self.page.locator(".hl-saved-list > li").filter(has_text=name)

    def move_up(self, name: str) -> None:
        self.item(name).get_by_role("button", name=f"Move “{name}” up").click()
        self.page.wait_for_url(f"**{self.path}")
