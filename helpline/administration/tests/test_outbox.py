"""The outgoing-mail page: waiting and failed messages with their last error, retry, discard."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied
from helpline.core.models import SiteSettings
from helpline.mail.models import OutboxMessage
from helpline.mail.services import outbox_message_retry

Status = OutboxMessage.Status
PAGE = reverse("manage:outbox")
RAW = (
    b"Content-Type: text/plain; charset=utf-8\nSubject: Set your password\n"
    b"From: desk@desk.test\nTo: nora@desk.test\n\nYour link\n"
)


def outbox_row(status=Status.FAILED, **fields) -> OutboxMessage:
    values = {
        "sender": "desk@desk.test",
        "recipients": ["nora@desk.test"],
        "subject": "Set your password",
        "raw": RAW,
        "status": status,
        "attempts": 10,
        "last_error": "SMTPServerDisconnected: Connection unexpectedly closed",
        "next_attempt_at": timezone.now(),
    } | fields
    return OutboxMessage.objects.create(**values)


def test_failed_and_waiting_messages_are_listed_with_their_error(client, admin_user):
    failed = outbox_row()
    outbox_row(status=Status.QUEUED, attempts=2, subject="Welcome", last_error="timed out")
    outbox_row(status=Status.SENT, subject="Old news", sent_at=timezone.now(), raw=b"")
    client.force_login(admin_user)

    page = client.get(PAGE).content.decode()

    assert "Not sent yet: 1 waiting, 1 failed" in page
    assert "Connection unexpectedly closed" in page and "timed out" in page
    assert reverse("manage:outbox_retry", args=[failed.pk]) in page
    assert "Old news" in page  # recently sent


def test_only_administrators(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(PAGE).status_code == 404
    row = outbox_row()
    assert client.post(reverse("manage:outbox_retry", args=[row.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        outbox_message_retry(message=row, actor=dispatcher)


def test_retry_now_sends_it_and_is_logged(client, admin_user, django_capture_on_commit_callbacks):
    row = outbox_row()
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("manage:outbox_retry", args=[row.pk]))

    assert response.status_code == 302 and response.url == PAGE
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1  # a fresh round of attempts
    assert [m.subject for m in mail.outbox] == ["Set your password"]
    event = Event.objects.get(action="mail.retried")
    assert event.actor == admin_user and event.changes == {"status": ["failed", "queued"]}


def test_retry_all_failed(client, admin_user, django_capture_on_commit_callbacks):
    outbox_row(), outbox_row(subject="Second")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("manage:outbox_retry_failed"))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert Event.objects.filter(action="mail.retried").count() == 2


def test_discard_erases_the_content_and_is_logged(client, admin_user):
    row = outbox_row()
    client.force_login(admin_user)

    client.post(reverse("manage:outbox_discard", args=[row.pk]))

    row.refresh_from_db()
    assert row.status == Status.DISCARDED and bytes(row.raw) == b""
    assert Event.objects.filter(action="mail.discarded", actor=admin_user).exists()
    # a discarded message cannot be sent again
    client.post(reverse("manage:outbox_retry", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == Status.DISCARDED


def test_retry_and_discard_need_the_csrf_token(admin_user):
    row = outbox_row()
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    for name in ("manage:outbox_retry", "manage:outbox_discard"):
        assert client.post(reverse(name, args=[row.pk])).status_code == 403
    assert client.post(reverse("manage:outbox_retry_failed")).status_code == 403
    row.refresh_from_db()
    assert row.status == Status.FAILED


@pytest.mark.parametrize("rows", [1, 20])
def test_query_count(client, admin_user, rows, django_assert_num_queries):
    SiteSettings.current()
    for n in range(rows):
        outbox_row(subject=f"m{n}")
        outbox_row(status=Status.SENT, sent_at=timezone.now(), raw=b"")
    client.force_login(admin_user)
    # session, user, the reference generation, site settings (reference data: read on a
    # process's first request after a change, as here); unsent list, recently sent, counts
    with django_assert_num_queries(7):
        assert client.get(PAGE).status_code == 200
