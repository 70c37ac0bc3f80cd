"""The outbox: mail stored with the caller's write, delivered by the worker over real SMTP,
retried with back-off when the server is down, failures kept and shown, nothing lost."""

import email
import email.policy
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.utils import timezone

from helpline.audit.models import Event
from helpline.mail.models import OutboxMessage
from helpline.mail.services import outbox_message_deliver, outbox_sweep, retry_delay

from .conftest import QUEUED

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def test_mail_is_stored_in_the_callers_transaction(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = QUEUED  # delivered by the test settings' locmem backend

    # a write that rolls back leaves no mail behind
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("Rolled back", "Body", "desk@desk.test", ["alice@acme.test"])
        raise RuntimeError
    assert not OutboxMessage.objects.exists()

    # a committed one is delivered after the commit, and its content is then erased
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            send_mail("Hello", "First line\nsecond line", "desk@desk.test", ["alice@acme.test"])
            assert mail.outbox == []  # nothing leaves inside the transaction
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, bytes(row.raw)) == (Status.SENT, 1, b"")
    (sent,) = mail.outbox
    assert (sent.subject, sent.to, sent.from_email) == ("Hello", ["alice@acme.test"], row.sender)
    assert sent.body.rstrip("\n") == "First line\nsecond line"


def test_delivery_over_smtp_sends_the_stored_bytes_to_the_envelope(
    smtp_sink, django_capture_on_commit_callbacks
):
    message = EmailMessage(
        "Ticket #42 — обновление",
        "Grüße",
        "Helpline <desk@desk.test>",
        ["Alice <alice@acme.test>"],
        bcc=["audit@desk.test"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        message.send()
    row = OutboxMessage.objects.get()
    assert row.status == Status.SENT and row.sent_at is not None

    ((mail_from, recipients, content),) = smtp_sink.received
    assert mail_from == "desk@desk.test"
    assert recipients == ["alice@acme.test", "audit@desk.test"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == "Ticket #42 — обновление"
    assert parsed["Bcc"] is None  # the blind copy is in the envelope only
    assert parsed.get_body().get_content().strip() == "Grüße"


def test_the_same_message_id_on_every_attempt(smtp_sink, django_capture_on_commit_callbacks):
    smtp_sink.refuse = "451 try later"
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Retry me", "Body", "desk@desk.test", ["alice@acme.test"])
    queued_id = email.message_from_bytes(bytes(OutboxMessage.objects.get().raw))["Message-ID"]
    smtp_sink.refuse = None
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        outbox_sweep()
    ((_from, _to, content),) = smtp_sink.received
    assert email.message_from_bytes(content)["Message-ID"] == queued_id


def test_smtp_down_is_retried_with_growing_pauses_then_marked_failed(
    smtp_down, django_capture_on_commit_callbacks
):
    smtp_down.EMAIL_MAX_ATTEMPTS = 4
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Welcome", "Body", "desk@desk.test", ["alice@acme.test"])
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error

    pauses = [row.next_attempt_at - row.created_at]
    for attempt in (2, 3, 4):
        with time_machine.travel(row.next_attempt_at - timedelta(seconds=1)):
            assert outbox_sweep() == 0  # not due yet
        moment = row.next_attempt_at + timedelta(seconds=1)
        with time_machine.travel(moment, tick=False):
            assert outbox_sweep() == 1  # the sweep is what retries
        row.refresh_from_db()
        assert row.attempts == attempt
        if row.status == Status.QUEUED:
            pauses.append(row.next_attempt_at - moment)

    rounded = [round(pause.total_seconds() / 60) for pause in pauses]
    assert rounded == [1, 2, 4]  # EMAIL_RETRY_SECONDS = 60, doubling
    assert row.status == Status.FAILED
    failed = Event.objects.get(action="mail.failed")
    assert failed.object_id == str(row.pk) and failed.actor is None
    assert bytes(row.raw)  # kept, so an administrator can send it again


def test_a_permanent_refusal_fails_at_once(smtp_sink, django_capture_on_commit_callbacks):
    smtp_sink.refuse = "550 5.1.1 no such user"
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Welcome", "Body", "desk@desk.test", ["nobody@acme.test"])
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert "no such user" in row.last_error


def test_a_lost_task_never_loses_the_message(settings):
    settings.EMAIL_BACKEND = QUEUED
    # the commit hook (the enqueued task) never runs: a crash, a queue that was down
    send_mail("Lost task", "Body", "desk@desk.test", ["alice@acme.test"])
    assert mail.outbox == [] and OutboxMessage.objects.get().status == Status.QUEUED

    assert outbox_sweep() == 1

    assert [m.subject for m in mail.outbox] == ["Lost task"]
    assert OutboxMessage.objects.get().status == Status.SENT


def test_an_attempt_in_progress_is_not_started_twice(settings):
    settings.EMAIL_BACKEND = QUEUED
    send_mail("Once", "Body", "desk@desk.test", ["alice@acme.test"])
    row = OutboxMessage.objects.get()
    # another worker claimed it (its lease pushed the due time forward)
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5), attempts=1
    )
    assert outbox_message_deliver(message_id=row.pk) == "skipped"
    assert outbox_sweep() == 0 and mail.outbox == []
    # a worker killed mid-attempt: once the lease runs out the sweep sends it
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert outbox_sweep() == 1
    assert len(mail.outbox) == 1


def test_sent_messages_are_forgotten_after_a_while(settings):
    settings.EMAIL_BACKEND = QUEUED
    send_mail("Old", "Body", "desk@desk.test", ["alice@acme.test"])
    outbox_sweep()
    with time_machine.travel(timezone.now() + timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)):
        outbox_sweep()
    assert not OutboxMessage.objects.exists()


def test_retry_delay_is_capped(settings):
    settings.EMAIL_RETRY_SECONDS = 60
    assert [retry_delay(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(20) == settings.EMAIL_RETRY_MAX_SECONDS
