"""Page objects: internal mail (write, read) and the notifications centre."""

from playwright.sync_api import Locator, Page, expect


class ComposePage:
    def __init__(self, page: Page):
        self.page = page

    def open(self, *, ticket: int | None = None) -> "ComposePage":
        suffix = f"?ticket={ticket}" if ticket else ""
        self.page.goto(f"/desk/messages/new/{suffix}")
        return self

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.page.get_by_label("To colleagues").select_option(label=to)
        self.page.get_by_label("Subject").fill(subject)
        self.page.get_by_label("Message").fill(body)
        self.page.get_by_role("button", name="Send", exact=True).click()
        expect(self.page.get_by_role("article").first).to_contain_text(body)


class HeaderBadges:
    def __init__(self, page: Page):
        self.page = page

    @property
    def notifications(self) -> Locator:
        return self.page.locator('#header-notifications [data-hl-badge="notifications"]')

    @property
    def mail(self) -> Locator:
        return self.page.locator('#header-mail [data-hl-badge="mail"]')


class NotificationsPage:
    def __init__(self, page: Page):
        self.page = page

    def open(self) -> "NotificationsPage":
        self.page.goto("/desk/notifications/")
        return self

    @property
    def items(self) -> Locator:
        return self.page.locator(".hl-notifications li")


class BellMenu:
    """The header's bell: a dropdown of the latest notifications, loaded when it opens."""

    def __init__(self, page: Page):
        self.page = page
        self.button = page.locator("#header-notifications")
        self.menu = page.locator("#notifications-menu")

    @property
    def items(self) -> Locator:
        return self.menu.locator("[id^=bell-notification-]")

    @property
    def unread(self) -> Locator:
        return self.menu.locator("[id^=bell-notification-].hl-unread")

    def open_with_keyboard(self) -> "BellMenu":
        self.button.focus()
        self.page.keyboard.press("Enter")
        expect(self.menu).to_be_visible()
        expect(self.menu.get_by_role("link", name="All notifications")).to_be_visible()
        return self
