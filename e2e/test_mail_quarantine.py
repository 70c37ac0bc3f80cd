"""Journey: an administrator blocks a spamming domain, sees what the rule caught, and lets a
wrongly held message in from the quarantine; it becomes a request."""

from playwright.sync_api import expect

from e2e.pages.manage_mail_in import QuarantinePage, StopRulePage
from helpline.mail.ingest import receive
from helpline.mail.tests.messages import mail
from helpline.tickets.models import Ticket


def test_admin_blocks_a_domain_and_releases_a_held_message(
    open_as, screenshot, browser_errors, admin_user, support, settings
):
    settings.MAIL_SENDER_HOURLY_LIMIT = 2
    admin = open_as(admin_user)
    # Given a stop rule quarantining mail from junk.test
    rules = StopRulePage(admin)
    rules.create(kind="sender domain", pattern="junk.test", action="hold in quarantine")
    expect(admin.locator("#stop-rules-table")).to_contain_text("junk.test")
    # When mail arrives from there, and a customer writes three times in an hour
    receive(mail(sender="offers@junk.test", subject="Cheap watches <b>now</b>"))
    for n in range(3):
        receive(mail(sender="busy@customer.test", subject=f"Printer again {n}"))
    # Then the rule shows what it caught
    rules.open_rule("junk.test")
    expect(rules.hits()).to_have_count(1)
    expect(rules.hits()).to_contain_text("offers@junk.test")
    screenshot(admin, "mail-stop-rule")
    # And the quarantine holds both; the customer's third message is let in
    quarantine = QuarantinePage(admin).open()
    expect(quarantine.row("Cheap watches")).to_contain_text("stop rule")
    expect(quarantine.row("Printer again 2")).to_contain_text("too many messages")
    screenshot(admin, "mail-quarantine")
    admin.set_viewport_size({"width": 390, "height": 844})
    screenshot(admin, "mail-quarantine-390")
    admin.set_viewport_size({"width": 1440, "height": 900})
    quarantine.let_in("Printer again 2")
    expect(admin.locator(".alert, .toast").first).to_contain_text("let in")
    assert Ticket.objects.filter(subject="Printer again 2").exists()
    expect(quarantine.row("Printer again 2")).to_have_count(0)
    assert not browser_errors, "\n".join(browser_errors)
