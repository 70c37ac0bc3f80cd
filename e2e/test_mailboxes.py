"""Journey: an administrator adds an IMAP mailbox, tests its connection against the real
Dovecot, and sees its health in the list; at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from e2e.pages.manage_mailbox import MailboxPage
from helpline.mail.models import Mailbox
from helpline.mail.polling import mailbox_poll
from helpline.mail.tests.conftest import dovecot_server, oauth_provider_server  # noqa: F401
from helpline.mail.tests.messages import mail


@pytest.fixture
def imap_server(dovecot_server):  # noqa: F811 - the session fixture imported above
    return dovecot_server


def test_admin_adds_an_imap_mailbox_and_tests_it(
    open_as,
    screenshot,
    browser_errors,
    admin_user,
    support,
    imap_server,
    settings,
):
    dovecot = imap_server
    settings.MAIL_TLS_CA_FILE, settings.MAIL_TIMEOUT = dovecot.cafile, 15
    account = dovecot.account()
    account.deliver(mail(subject="Printer on fire", to=account.address))
    admin = open_as(admin_user)
    admin.set_viewport_size({"width": 1440, "height": 900})
    boxes = MailboxPage(admin)

    # When she adds the support mailbox and tests it
    boxes.create_imap(
        name="Support inbox",
        address=account.address,
        host=dovecot.host,
        port=dovecot.imaps_port,
        username=account.username,
        password=account.password,
    )
    expect(admin.locator("#id_password")).to_have_value("")
    boxes.test_connection()

    # Then the page says it signed in and found the waiting message
    expect(admin.get_by_text("IMAP: Signed in; 1 message(s) waiting in INBOX.")).to_be_visible()
    assert account.password not in admin.content()
    screenshot(admin, "30-manage-mailbox")

    # And after a poll, the list shows the mailbox working, with the message of the last day
    report = mailbox_poll(mailbox=Mailbox.objects.get(name="Support inbox"))
    assert report.fetched == 1
    boxes.open_list()
    row = admin.locator("#mailbox-health tbody tr").first
    expect(row).to_contain_text("Support inbox")
    expect(row).to_contain_text("working")
    screenshot(admin, "31-manage-mailboxes")
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.reload()
    expect(row).to_be_visible()
    screenshot(admin, "32-manage-mailboxes-phone")
    admin.goto(admin.url + f"{Mailbox.objects.get().pk}/")
    screenshot(admin, "33-manage-mailbox-phone")
    assert not browser_errors, "\n".join(browser_errors)
