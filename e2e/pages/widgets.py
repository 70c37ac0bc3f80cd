"""Form-control helpers the page objects share."""

from playwright.sync_api import Locator


def select_containing(select: Locator, text: str) -> None:
    """Choose the option whose label contains `text` (labels may carry tree dashes or lines)."""
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value)
