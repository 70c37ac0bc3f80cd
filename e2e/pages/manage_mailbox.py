"""Administration: mailboxes at /manage/mailboxes/ (the health list, a mailbox's settings)."""

from playwright.sync_api import Page, expect


class MailboxPage:
    path = "/manage/mailboxes/new/"

    def __init__(self, page: Page):
        self.page = page

    def create_imap(
        self, *, name: str, address: str, host: str, port: int, username: str, password: str
    ) -> None:
        page = self.page
        page.goto(self.path)
        page.get_by_label("Name").fill(name)
        page.get_by_label("Address").fill(address)
        page.get_by_label("Receive by").select_option(label="IMAP")
        page.get_by_label("Server", exact=True).fill(host)
        page.get_by_label("Security", exact=True).select_option(label="TLS")
        page.get_by_label("Port", exact=True).fill(str(port))
        page.get_by_label("User name", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()

    def test_connection(self) -> None:
        self.page.get_by_role("button", name="Test connection").click()

    def open_list(self) -> None:
        self.page.goto("/manage/mailboxes/")
        expect(self.page.get_by_role("heading", name="Mailboxes")).to_be_visible()
