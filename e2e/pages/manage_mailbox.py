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
        # By id: several labels start alike ("Name", "User name", "SMTP user name").
        page.locator("#id_name").fill(name)
        page.locator("#id_address").fill(address)
        page.locator("#id_protocol").select_option(label="IMAP")
        page.locator("#id_host").fill(host)
        page.locator("#id_security").select_option(label="TLS")
        page.locator("#id_port").fill(str(port))
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()

    def test_connection(self) -> None:
        self.page.get_by_role("button", name="Test connection").click()

    def open_list(self) -> None:
        self.page.goto("/manage/mailboxes/")
        expect(self.page.get_by_role("heading", name="Mailboxes")).to_be_visible()
