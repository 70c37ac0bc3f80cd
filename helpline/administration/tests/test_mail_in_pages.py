"""The quarantine and stop-list pages: what administrators see and do, and nobody else."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from helpline.audit.models import Event
from helpline.core.models import SiteSettings
from helpline.mail.ingest import receive
from helpline.mail.models import QuarantinedMail, StopRule
from helpline.mail.tests.messages import mail
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def held(subject="Cheap watches", sender="spammer@junk.test", reason="stop_rule"):
    raw = mail(sender=sender, subject=subject)
    return QuarantinedMail.objects.create(
        reason=reason,
        raw=raw,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        from_address=sender,
        subject=subject,
    )


def test_held_messages_are_listed_by_tab(client, admin_user):
    held("Cheap watches")
    held("Spammy thing", reason="spam")
    client.force_login(admin_user)
    page = client.get(reverse("manage:quarantine")).content.decode()
    assert "Cheap watches" in page and "Spammy thing" not in page
    spam = client.get(reverse("manage:quarantine"), {"view": "spam"}).content.decode()
    assert "Spammy thing" in spam and "Cheap watches" not in spam


def test_letting_a_message_in_opens_its_request_and_is_logged(client, admin_user, support):
    item = held(subject="Actually a customer", sender="real@customer.test")
    client.force_login(admin_user)
    response = client.post(reverse("manage:quarantine_release", args=[item.pk]))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "released" and item.decided_by == admin_user
    ticket = Ticket.objects.get()
    assert item.ticket == ticket and ticket.subject == "Actually a customer"
    assert ticket.requester.email == "real@customer.test"
    assert Event.objects.filter(action="mail.quarantine_released").exists()
    # a second click finds it decided
    again = client.post(reverse("manage:quarantine_release", args=[item.pk]), follow=True)
    assert "already released or deleted" in again.content.decode()
    assert Ticket.objects.count() == 1


def test_letting_in_an_unreadable_message_is_refused_clearly(client, admin_user):
    receipt = receive(b"")
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:quarantine_release", args=[receipt.quarantined.pk]), follow=True
    )
    assert "cannot be read" in response.content.decode()
    receipt.quarantined.refresh_from_db()
    assert receipt.quarantined.status == "held"


def test_deleting_erases_the_content(client, admin_user):
    item = held()
    client.force_login(admin_user)
    client.post(reverse("manage:quarantine_delete", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == "deleted" and bytes(item.raw) == b""
    assert Event.objects.filter(action="mail.quarantine_deleted").exists()


def test_the_raw_message_downloads_as_eml_never_rendered(client, admin_user):
    item = held()
    client.force_login(admin_user)
    response = client.get(reverse("manage:quarantine_raw", args=[item.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment;" in response["Content-Disposition"]
    assert response.content == bytes(item.raw)


def test_the_preview_is_escaped(client, admin_user):
    item = held(subject="<script>alert(1)</script>")
    client.force_login(admin_user)
    page = client.get(reverse("manage:quarantine_item", args=[item.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_only_administrators(client, dispatcher):
    item = held()
    client.force_login(dispatcher)
    for name, args in [
        ("manage:quarantine", []),
        ("manage:quarantine_item", [item.pk]),
        ("manage:quarantine_raw", [item.pk]),
        ("manage:stop_rules", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    assert client.post(reverse("manage:quarantine_release", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.status == "held"


def test_actions_need_the_csrf_token(admin_user):
    item = held()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    for name in ("manage:quarantine_release", "manage:quarantine_delete"):
        assert client.post(reverse(name, args=[item.pk])).status_code == 403
    item.refresh_from_db()
    assert item.status == "held"


def test_stop_rule_is_added_and_shows_what_it_caught(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:stop_rule_new"),
        {"kind": "domain", "pattern": " @Junk.TEST ", "action": "quarantine", "is_active": "on"},
    )
    assert response.status_code == 302
    rule = StopRule.objects.get()
    assert rule.pattern == "junk.test"
    assert Event.objects.filter(action="stop_rule.created").exists()
    receive(mail(sender="a@mail.junk.test", subject="Buy now"))
    page = client.get(reverse("manage:stop_rule", args=[rule.pk])).content.decode()
    assert "a@mail.junk.test" in page and "Buy now" in page
    listing = client.get(reverse("manage:stop_rules")).content.decode()
    assert "junk.test" in listing


@pytest.mark.parametrize(
    ("kind", "pattern", "error"),
    [
        ("sender", "nobody", "whole address"),
        ("domain", "com", "domain such as"),
        ("subject", "ab", "at least 3"),
    ],
)
def test_stop_rule_refuses_patterns_that_would_catch_everything(
    client, admin_user, kind, pattern, error
):
    client.force_login(admin_user)
    response = client.post(
        reverse("manage:stop_rule_new"), {"kind": kind, "pattern": pattern, "action": "reject"}
    )
    assert response.status_code == 200 and error in response.content.decode()
    assert not StopRule.objects.exists()


def test_stop_rule_removed_and_logged(client, admin_user):
    rule = StopRule.objects.create(kind="sender", pattern="x@y.test")
    client.force_login(admin_user)
    assert client.post(reverse("manage:stop_rule_remove", args=[rule.pk])).status_code == 302
    assert not StopRule.objects.exists()
    assert Event.objects.filter(action="stop_rule.removed").exists()


@pytest.mark.parametrize("rows", [1, 20])
def test_query_counts(client, admin_user, rows, django_assert_num_queries):
    SiteSettings.current()
    rule = StopRule.objects.create(kind="domain", pattern="junk.test", action="quarantine")
    for n in range(rows):
        receive(mail(sender=f"s{n}@junk.test", subject=f"spam {n}"))
        StopRule.objects.create(kind="sender", pattern=f"p{n}@x.test")
    client.force_login(admin_user)
    # session, user, the reference generation, site settings (reference data: read on a
    # process's first request after a change, as here); the page of rows, the count for the
    # pager, tab counts
    with django_assert_num_queries(7):
        assert client.get(reverse("manage:quarantine")).status_code == 200
    # session, user, the reference generation (site settings remembered); the rules
    with django_assert_num_queries(4):
        assert client.get(reverse("manage:stop_rules")).status_code == 200
    # session, user, site settings; the rule (view), the rule again (shown), its hits
    with django_assert_num_queries(6):
        assert client.get(reverse("manage:stop_rule", args=[rule.pk])).status_code == 200
