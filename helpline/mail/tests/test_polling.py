"""The poller against the real test Dovecot: mail becomes requests, and leaves the server (or is
flagged) only after it is stored; UID, UIDVALIDITY and UIDL bookkeeping; one failing or hanging
mailbox never holds up the others; `helpline fetchmail`."""

import io
import socket
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpline.core import clock
from helpline.mail import ingest
from helpline.mail.models import Mailbox, MailboxSeenUid, MailMessage
from helpline.mail.polling import mailbox_poll, mailboxes_due, mailboxes_poll
from helpline.tickets.models import Ticket

from .messages import mail

pytestmark = pytest.mark.django_db

AFTER = Mailbox.AfterFetch


@pytest.fixture(autouse=True)
def desk(support):
    """New requests need a department to land in."""
    return support


@pytest.fixture
def trusted(settings, dovecot):
    settings.MAIL_TLS_CA_FILE = dovecot.cafile
    settings.MAIL_TIMEOUT = 15
    return settings


def make_mailbox(dovecot, account, *, name=None, **fields) -> Mailbox:
    values = {
        "name": name or f"box-{account.username}",
        "address": account.address,
        "protocol": Mailbox.Protocol.IMAP,
        "host": dovecot.host,
        "port": dovecot.imaps_port,
        "security": Mailbox.Security.TLS,
        "username": account.username,
        "password": account.password,
    } | fields
    return Mailbox.objects.create(**values)


def subjects() -> list[str]:
    return sorted(Ticket.objects.values_list("subject", flat=True))


def test_imap_mail_becomes_requests_and_is_deleted_after_storing(trusted, dovecot, support):
    account = dovecot.account()
    for number in range(3):
        account.deliver(mail(subject=f"Request {number}", to=account.address))
    mailbox = make_mailbox(dovecot, account, department=support)

    report = mailbox_poll(mailbox=mailbox)

    assert (report.fetched, report.error, dict(report.outcomes)) == (3, "", {"created": 3})
    assert subjects() == ["Request 0", "Request 1", "Request 2"]
    assert Ticket.objects.filter(department=support).count() == 3
    assert account.messages() == []
    mailbox.refresh_from_db()
    assert mailbox.last_success_at and not mailbox.last_error and mailbox.poll_lease_until is None
    assert mailbox_poll(mailbox=mailbox).fetched == 0


def test_imap_keep_marked_read_fetches_each_message_once(trusted, dovecot):
    account = dovecot.account()
    account.deliver(mail(subject="First"))
    mailbox = make_mailbox(
        dovecot, account, after_fetch=AFTER.SEEN, security="starttls", port=dovecot.imap_port
    )
    assert mailbox_poll(mailbox=mailbox).fetched == 1
    [(uid, flags, _raw)] = account.messages()
    assert "\\Seen" in flags and "\\Deleted" not in flags
    account.deliver(mail(subject="Second"))
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == uid
    report = mailbox_poll(mailbox=mailbox)
    assert (report.fetched, dict(report.outcomes)) == (1, {"created": 1})
    assert subjects() == ["First", "Second"]
    assert len(account.messages()) == 2


def test_imap_move_to_a_folder(trusted, dovecot):
    account = dovecot.account()
    account.create_folder("Stored")
    account.deliver(mail(subject="Move me"))
    mailbox = make_mailbox(dovecot, account, after_fetch=AFTER.MOVE, move_to="Stored")
    assert mailbox_poll(mailbox=mailbox).fetched == 1
    assert account.messages() == []
    assert [raw for _uid, _flags, raw in account.messages("Stored")][0].find(b"Move me") > 0


def test_a_new_uidvalidity_reads_the_folder_again_without_duplicates(trusted, dovecot):
    account = dovecot.account()
    first, second = mail(subject="Old one"), mail(subject="New one")
    account.deliver(first, folder="Support")
    mailbox = make_mailbox(dovecot, account, folder="Support", after_fetch=AFTER.SEEN)
    assert mailbox_poll(mailbox=mailbox).fetched == 1
    mailbox.refresh_from_db()
    validity = mailbox.imap_uidvalidity
    # Given the folder is deleted and made again (new UIDVALIDITY, UIDs from 1 again)
    client = account.imap()
    client.delete("Support")
    client.logout()
    time.sleep(1.1)  # Dovecot's UIDVALIDITY is a timestamp
    account.deliver(first, folder="Support")
    account.deliver(second, folder="Support")
    report = mailbox_poll(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert mailbox.imap_uidvalidity != validity
    assert dict(report.outcomes) == {"duplicate": 1, "created": 1}
    assert subjects() == ["New one", "Old one"]


def test_nothing_leaves_the_server_unless_stored(trusted, dovecot, monkeypatch):
    """A failure while storing (the database down) ends the pass; what was stored before is
    removed, the rest stays unread on the server for the next pass."""
    account = dovecot.account()
    for number in range(3):
        account.deliver(mail(subject=f"Mail {number}"))
    mailbox = make_mailbox(dovecot, account)
    real, calls = ingest.receive, []

    def database_goes_down(raw, **kwargs):
        calls.append(raw)
        if len(calls) == 2:
            raise ingest.TemporaryFailure("database unreachable")
        return real(raw, **kwargs)

    monkeypatch.setattr(ingest, "receive", database_goes_down)
    report = mailbox_poll(mailbox=mailbox)
    assert report.fetched == 1 and "database" in report.error
    left = account.messages()
    assert len(left) == 2 and all("\\Seen" not in flags for _uid, flags, _raw in left)
    mailbox.refresh_from_db()
    assert "database" in mailbox.last_error and mailbox.last_error_at

    monkeypatch.setattr(ingest, "receive", real)
    assert mailbox_poll(mailbox=mailbox).fetched == 2
    assert subjects() == ["Mail 0", "Mail 1", "Mail 2"]
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_stored_but_not_yet_removed_is_removed_once_without_a_second_entry(trusted, dovecot):
    """The worker died after the commit and before the delete: next pass, the same message is
    a duplicate, and is removed."""
    account = dovecot.account()
    raw = mail(subject="Once")
    account.deliver(raw)
    mailbox = make_mailbox(dovecot, account)
    mailbox_poll(mailbox=mailbox)
    account.deliver(raw)  # as if the delete never happened
    report = mailbox_poll(mailbox=mailbox)
    assert dict(report.outcomes) == {"duplicate": 1}
    assert account.messages() == []
    assert MailMessage.objects.count() == 1


def test_pop3_deletes_after_storing(trusted, dovecot):
    account = dovecot.account()
    account.deliver(mail(subject="Pop one"))
    account.deliver(mail(subject="Pop two"))
    mailbox = make_mailbox(
        dovecot, account, protocol=Mailbox.Protocol.POP3, port=dovecot.pop3s_port
    )
    report = mailbox_poll(mailbox=mailbox)
    assert (report.fetched, report.error) == (2, "")
    assert subjects() == ["Pop one", "Pop two"]
    assert account.messages() == []


def test_pop3_left_on_the_server_is_fetched_once_by_uidl(trusted, dovecot):
    account = dovecot.account()
    account.deliver(mail(subject="Kept one"))
    mailbox = make_mailbox(
        dovecot,
        account,
        protocol=Mailbox.Protocol.POP3,
        port=dovecot.pop3_port,
        security="starttls",
        after_fetch=AFTER.SEEN,
    )
    assert mailbox_poll(mailbox=mailbox).fetched == 1
    account.deliver(mail(subject="Kept two"))
    assert mailbox_poll(mailbox=mailbox).fetched == 1
    assert mailbox_poll(mailbox=mailbox).fetched == 0
    assert len(account.messages()) == 2
    assert MailboxSeenUid.objects.filter(mailbox=mailbox).count() == 2
    # Messages removed on the server are forgotten here too
    client = account.imap()
    client.select("INBOX")
    client.store("1", "+FLAGS", "(\\Deleted)")
    client.expunge()
    client.logout()
    mailbox_poll(mailbox=mailbox)
    assert MailboxSeenUid.objects.filter(mailbox=mailbox).count() == 1


def test_pop3_failure_mid_pass_deletes_nothing_not_stored(trusted, dovecot, monkeypatch):
    account = dovecot.account()
    account.deliver(mail(subject="P1"))
    account.deliver(mail(subject="P2"))
    mailbox = make_mailbox(dovecot, account, protocol="pop3", port=dovecot.pop3s_port)
    real = ingest.receive
    calls = []

    def fails_second(raw, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ingest.TemporaryFailure("down")
        return real(raw, **kwargs)

    monkeypatch.setattr(ingest, "receive", fails_second)
    assert mailbox_poll(mailbox=mailbox).error
    # The connection was dropped without QUIT: POP3 keeps even the stored one, which comes
    # back as a duplicate next time.
    assert len(account.messages()) == 2
    monkeypatch.setattr(ingest, "receive", real)
    report = mailbox_poll(mailbox=mailbox)
    assert dict(report.outcomes) == {"duplicate": 1, "created": 1}
    assert account.messages() == []
    assert subjects() == ["P1", "P2"]


def test_a_batch_limit_leaves_the_rest_for_right_away(trusted, dovecot, settings):
    settings.MAIL_POLL_BATCH = 2
    account = dovecot.account()
    for number in range(3):
        account.deliver(mail(subject=f"B{number}"))
    mailbox = make_mailbox(dovecot, account)
    report = mailbox_poll(mailbox=mailbox)
    assert (report.fetched, report.more_waiting) == (2, True)
    assert mailbox.pk in mailboxes_due()
    assert mailbox_poll(mailbox=mailbox).fetched == 1


def test_a_leased_mailbox_is_skipped(trusted, dovecot):
    account = dovecot.account()
    account.deliver(mail())
    mailbox = make_mailbox(dovecot, account)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        poll_lease_until=clock.now() + timedelta(minutes=5)
    )
    assert mailbox_poll(mailbox=mailbox).skipped
    assert len(account.messages()) == 1


@pytest.fixture
def silent_server():
    """A port that accepts connections and never says anything (a hung mail server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hanging_and_a_failing_mailbox_hold_up_no_other(
    trusted, dovecot, silent_server, settings
):
    settings.MAIL_TIMEOUT = 4
    good_account = dovecot.account()
    good_account.deliver(mail(subject="Gets through"))
    good = make_mailbox(dovecot, good_account, name="good")
    hanging = make_mailbox(
        dovecot, dovecot.account(), name="hanging", host="127.0.0.1", port=silent_server
    )
    make_mailbox(
        dovecot, dovecot.account(), name="also hanging", host="127.0.0.1", port=silent_server
    )
    # (A wrong folder, not a wrong password: Dovecot slows every sign-in from an address that
    # just failed one, which would hold up the good mailbox here and prove nothing.)
    wrong = make_mailbox(dovecot, dovecot.account(), name="wrong", folder="NoSuchFolder")
    started = time.monotonic()
    reports = {report.mailbox: report for report in mailboxes_poll()}
    elapsed = time.monotonic() - started
    assert reports["good"].fetched == 1 and not reports["good"].error
    assert "4 seconds" in reports["hanging"].error
    assert "4 seconds" in reports["also hanging"].error
    assert "NoSuchFolder" in reports["wrong"].error
    # In parallel: about one timeout; one after the other it would be two (8 s) and more.
    assert elapsed < 7.5, elapsed
    for mailbox in (good, hanging, wrong):
        mailbox.refresh_from_db()
    assert good.last_success_at and not good.last_error
    assert hanging.last_error and wrong.last_error and not wrong.last_success_at
    assert subjects() == ["Gets through"]


def test_fetchmail_reports_per_mailbox(trusted, dovecot):
    account = dovecot.account()
    account.deliver(mail(subject="By hand"))
    make_mailbox(dovecot, account, name="Sales")
    make_mailbox(dovecot, dovecot.account(), name="Broken", password="nope")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("fetchmail", stdout=out)
    text = out.getvalue()
    assert "Sales: 1 fetched, 1 created" in text
    assert "Broken:" in text and "sign-in failed" in text
    assert "nope" not in text.replace("Broken", "")
    out = io.StringIO()
    call_command("fetchmail", "--mailbox", "Sales", stdout=out)
    assert "Sales: 0 fetched" in out.getvalue()
    with pytest.raises(CommandError, match="No mailbox"):
        call_command("fetchmail", "--mailbox", "Nope")


def test_the_periodic_job_polls_the_mailboxes_that_are_due(trusted, dovecot):
    from helpline.mail import tasks

    due_account, later_account = dovecot.account(), dovecot.account()
    due_account.deliver(mail(subject="Due now"))
    later_account.deliver(mail(subject="Not yet"))
    make_mailbox(dovecot, due_account, name="due")
    later = make_mailbox(dovecot, later_account, name="later")
    Mailbox.objects.filter(pk=later.pk).update(next_poll_at=clock.now() + timedelta(minutes=5))
    inactive = make_mailbox(dovecot, dovecot.account(), name="off", is_active=False)

    tasks.mailboxes_poll_job.call_local()  # each due mailbox as its own task (immediate here)

    assert subjects() == ["Due now"]
    assert len(later_account.messages()) == 1
    due = Mailbox.objects.get(name="due")
    assert due.next_poll_at > clock.now() + timedelta(seconds=30)
    inactive.refresh_from_db()
    assert inactive.last_poll_at is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_commits_together_and_a_failing_message_goes_to_the_quarantine(
    trusted, dovecot, settings, monkeypatch
):
    """Messages are stored several per transaction, a savepoint each: one that breaks the
    pipeline rolls back alone and is quarantined, the others of its batch stay, and all of
    them leave the server after the commit; the batch's notifications go to one task."""
    from helpline.mail import tasks
    from helpline.mail.models import Notification, QuarantinedMail

    settings.MAIL_POLL_COMMIT_EVERY = 3
    account = dovecot.account()
    for number in range(5):
        account.deliver(mail(subject=f"Batch {number}", sender=f"c{number}@client.test"))
    mailbox = make_mailbox(dovecot, account)
    real_store, tasks_queued = ingest._store, []

    def breaks_on_the_second(context):
        if context.parsed.subject == "Batch 1":
            real_store(context)  # rows written, then the failure: all of it rolls back
            raise RuntimeError("the pipeline broke")
        return real_store(context)

    monkeypatch.setattr(ingest, "_store", breaks_on_the_second)
    monkeypatch.setattr(tasks, "notifications_send", lambda ids: tasks_queued.append(ids))

    report = mailbox_poll(mailbox=mailbox)

    assert (report.fetched, report.error) == (5, "")
    assert dict(report.outcomes) == {"created": 4, "quarantined": 1}
    assert subjects() == ["Batch 0", "Batch 2", "Batch 3", "Batch 4"]
    held = QuarantinedMail.objects.get()
    assert held.reason == QuarantinedMail.Reason.FAILED and "pipeline broke" in held.detail
    assert MailMessage.objects.count() == 4
    assert account.messages() == []
    # Two batches (3 + 2): one task each, for the notifications that were committed
    assert [len(ids) for ids in tasks_queued] == [2, 2]
    assert sorted(pk for ids in tasks_queued for pk in ids) == sorted(
        Notification.objects.values_list("pk", flat=True)
    )
    # Run again: nothing new, nothing doubled
    assert mailbox_poll(mailbox=mailbox).fetched == 0


def test_a_chunk_leaves_the_server_while_the_next_is_stored(
    trusted, dovecot, settings, monkeypatch
):
    """The removal of a committed chunk runs beside the storing of the next one: each message
    leaves the server once and only after its chunk was stored; a failure in a later chunk
    keeps that chunk's unstored messages on the server and still removes the earlier ones."""
    from helpline.mail import connections

    settings.MAIL_POLL_COMMIT_EVERY = 2
    account = dovecot.account()
    for number in range(7):
        account.deliver(mail(subject=f"Chunk {number}", sender=f"k{number}@client.test"))
    mailbox = make_mailbox(dovecot, account)
    real_receive, real_done = ingest.receive, connections.ImapSession.done_with
    stored: list[str] = []
    removed: list[list[int]] = []

    def receive(raw, **kwargs):
        receipt = real_receive(raw, **kwargs)
        if receipt.ticket.subject == "Chunk 5":
            raise ingest.TemporaryFailure("database unreachable")
        stored.append(receipt.ticket.subject)
        return receipt

    def done_with(session, uids):
        # Only what was stored leaves: every message of a removed chunk is stored already.
        assert len(stored) >= sum(len(chunk) for chunk in removed) + len(uids)
        removed.append(list(uids))
        return real_done(session, uids)

    monkeypatch.setattr(ingest, "receive", receive)
    monkeypatch.setattr(connections.ImapSession, "done_with", done_with)
    report = mailbox_poll(mailbox=mailbox)
    assert report.fetched == 5 and "database" in report.error
    assert [len(uids) for uids in removed] == [2, 2, 1]
    left = sorted(raw.split(b"Subject: ")[1][:7] for _uid, _flags, raw in account.messages())
    assert left == [b"Chunk 5", b"Chunk 6"]

    monkeypatch.setattr(ingest, "receive", real_receive)
    monkeypatch.setattr(connections.ImapSession, "done_with", real_done)
    assert mailbox_poll(mailbox=mailbox).fetched == 2
    assert account.messages() == []
    assert subjects() == [f"Chunk {number}" for number in range(7)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_that_cannot_commit_leaves_every_message_on_the_server(
    trusted, dovecot, settings, monkeypatch
):
    """The commit itself fails (the database went away): nothing of the batch is removed on
    the server, its raw files are removed here, and the next pass stores each message once."""
    from django.core.files.storage import default_storage

    settings.MAIL_POLL_COMMIT_EVERY = 10
    account = dovecot.account()
    for number in range(3):
        account.deliver(mail(subject=f"Lost commit {number}", sender=f"l{number}@client.test"))
    mailbox = make_mailbox(dovecot, account)
    real_receive, written = ingest.receive, []

    def receive_then_lose_the_connection(raw, **kwargs):
        receipt = real_receive(raw, **kwargs)
        written.append(MailMessage.objects.get(entry=receipt.entry).raw.name)
        if len(written) == 3:
            from django.db import OperationalError

            raise OperationalError("server closed the connection unexpectedly")
        return receipt

    monkeypatch.setattr(ingest, "receive", receive_then_lose_the_connection)
    report = mailbox_poll(mailbox=mailbox)
    assert report.fetched == 0 and "database" in report.error
    assert len(account.messages()) == 3
    assert MailMessage.objects.count() == 0
    assert not any(default_storage.exists(name) for name in written)

    monkeypatch.setattr(ingest, "receive", real_receive)
    report = mailbox_poll(mailbox=mailbox)
    assert (report.fetched, dict(report.outcomes)) == (3, {"created": 3})
    assert account.messages() == []
    assert subjects() == ["Lost commit 0", "Lost commit 1", "Lost commit 2"]


def test_batches_are_cut_by_count_and_by_size(monkeypatch):
    from helpline.mail import polling

    monkeypatch.setattr(polling, "BATCH_BYTES", 100)
    assert list(polling._chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    sizes = {1: 30, 2: 60, 3: 20, 4: 500, 5: 10}
    # A message larger than the budget goes alone; none is ever dropped
    assert list(polling._chunks([1, 2, 3, 4, 5], 10, sizes)) == [[1, 2], [3], [4], [5]]
