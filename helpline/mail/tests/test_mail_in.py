"""`helpline mail-in` in a real process, parallel deliveries of one message, and a delivery
loop killed with SIGKILL at many points and run again: nothing lost, nothing twice."""

import hashlib
import time

import pytest
from django.db import connection

from helpline.mail.models import Mailbox, MailMessage, MessageRef, QuarantinedMail
from helpline.tickets.models import Entry, EntryKind, Ticket

from .messages import mail
from .processes import driver, mail_in

# Transactional: the other processes must see the test's rows, and the tests see theirs.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def mailbox(support):
    return Mailbox.objects.create(name="Help", address="help@desk.test", department=support)


def test_mail_in_stores_and_exits_0(mailbox):
    raw = mail(message_id="<pipe-1@client.test>")
    result = mail_in(raw, "--mailbox", "Help", "-v2")
    assert result.returncode == 0, result.stderr
    assert b"mail-in: created #" in result.stdout
    stored = MailMessage.objects.get(message_id="pipe-1@client.test")
    assert stored.mailbox == mailbox
    assert stored.entry.ticket.department == mailbox.department
    # delivered again by the MTA: still one entry, still 0
    assert mail_in(raw, "--mailbox", "help@desk.test").returncode == 0
    assert MailMessage.objects.filter(message_id="pipe-1@client.test").count() == 1


def test_mail_in_garbage_is_quarantined_and_exits_0(mailbox):
    result = mail_in(b"\x00\xff garbage without headers", "--mailbox", "Help")
    assert result.returncode == 0, result.stderr
    assert bytes(QuarantinedMail.objects.get().raw) == b"\x00\xff garbage without headers"


def test_mail_in_unknown_mailbox_defers(mailbox):
    result = mail_in(mail(), "--mailbox", "Nope")
    assert result.returncode == 75
    assert b"no mailbox named" in result.stderr
    assert not Ticket.objects.exists()


def test_mail_in_database_down_is_a_temporary_failure(mailbox):
    result = mail_in(mail(), HELPLINE_DATABASE_URL="postgres://helpline@127.0.0.1:1/helpline")
    assert result.returncode == 75, result.stderr
    assert b"try again later" in result.stderr


def test_mail_in_over_the_size_limit_is_refused_for_good(mailbox):
    result = mail_in(b"x" * (1024 * 1024 + 10), HELPLINE_MAIL_MAX_MESSAGE_MB="1")
    assert result.returncode == 65
    assert b"larger than 1 MB" in result.stderr


def _spool(tmp_path, name: str, messages: list[bytes]):
    folder = tmp_path / name
    folder.mkdir()
    for index, raw in enumerate(messages):
        (folder / f"{index:03}.eml").write_bytes(raw)
    return folder


@pytest.mark.parametrize("mode", ["lock", "no-lock"])
def test_the_same_message_delivered_by_several_processes_at_once_is_one_entry(
    tmp_path, mailbox, mode
):
    # given the same message in four spools and a new sender (the requester registers too)
    raw = mail(sender="race@client.test", message_id=f"<race-{mode}@client.test>")
    spools = [_spool(tmp_path, f"s{n}", [raw]) for n in range(4)]
    # when four processes deliver it at the same moment (each waits for the same instant after
    # starting up); "no-lock" takes the advisory lock away, leaving the unique constraints
    start = time.time() + 6
    processes = [driver(spool, mode=mode, start_at=start) for spool in spools]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [r[1][-800:] for r in results]
    outcomes = sorted(out.split()[0].decode() for out, _err in results)
    # then one made the request, the others found it
    assert outcomes == ["created", "duplicate", "duplicate", "duplicate"]
    assert Ticket.objects.count() == 1
    assert MailMessage.objects.count() == 1
    assert MessageRef.objects.filter(message_id=f"race-{mode}@client.test").count() == 1


def _batch(tag: str) -> list[bytes]:
    """A batch touching every kind of write: a new request, a reply to it, a repeat, a new
    sender, a quarantined message, a bounce-like auto reply."""
    root = f"<{tag}-root@client.test>"
    return [
        mail(sender=f"{tag}@client.test", message_id=root, subject=f"{tag} first"),
        mail(
            sender=f"{tag}@client.test",
            message_id=f"<{tag}-reply@client.test>",
            in_reply_to=root,
            subject=f"Re: {tag} first",
        ),
        mail(sender=f"{tag}@client.test", message_id=root, subject=f"{tag} first"),
        mail(sender=f"{tag}-other@client.test", message_id=f"<{tag}-2@client.test>"),
        b"not a message at all " + tag.encode(),
        mail(
            sender=f"{tag}@client.test",
            message_id=f"<{tag}-ooo@client.test>",
            in_reply_to=root,
            headers={"Auto-Submitted": "auto-replied"},
        ),
    ]


def _assert_batch_stored_once(tag: str) -> None:
    received = MailMessage.objects.filter(message_id__startswith=f"{tag}-")
    ids = sorted(received.values_list("message_id", flat=True))
    assert ids == sorted(
        [
            f"{tag}-root@client.test",
            f"{tag}-reply@client.test",
            f"{tag}-2@client.test",
            f"{tag}-ooo@client.test",
        ]
    )
    tickets = Ticket.objects.filter(requester__email__startswith=f"{tag}")
    assert tickets.count() == 2
    root = MailMessage.objects.get(message_id=f"{tag}-root@client.test").entry.ticket
    assert root.entries.filter(kind=EntryKind.REPLY).count() == 2
    assert root.entries.filter(kind=EntryKind.NOTE).count() == 1
    digest = hashlib.sha256(b"not a message at all " + tag.encode()).hexdigest()
    held = QuarantinedMail.objects.filter(sha256=digest)
    assert held.count() == 1
    # every entry made from mail has its mail record (nothing half-written)
    assert not Entry.objects.filter(
        ticket__in=tickets, kind__in=["reply", "note"], mail__isnull=True
    ).exists()


def test_killed_at_many_points_loses_nothing_and_stores_nothing_twice(tmp_path, mailbox):
    # how many calls one undisturbed batch makes
    spool = _spool(tmp_path, "calibrate", _batch("calib"))
    process = driver(spool, kill_at=10**9)
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-2000:]
    total = int(out.split()[-1])
    _assert_batch_stored_once("calib")
    # spread over the batch, plus right after a commit and before the spool file is deleted
    points = [(max(1, total * n // 9), "delete") for n in range(1, 9)]
    points += [(0, "kill-before-delete:1"), (0, "kill-before-delete:4")]
    killed = 0
    for index, (point, mode) in enumerate(points):
        tag = f"k{index}"
        spool = _spool(tmp_path, tag, _batch(tag))
        # when the delivery loop is killed at this point
        first = driver(spool, kill_at=point, mode=mode)
        first.communicate(timeout=180)
        killed += first.returncode == -9
        # and run again, as the MTA or the poller does, until the spool is empty
        second = driver(spool)
        out, err = second.communicate(timeout=180)
        assert second.returncode == 0, err[-2000:]
        assert not list(spool.glob("*.eml"))
        # then every message of the batch is stored exactly once
        _assert_batch_stored_once(tag)
    assert killed == len(points)
    assert connection.vendor in {"sqlite", "postgresql"}


def test_two_intake_processes_delivering_at_once_store_every_message_once(tmp_path, mailbox):
    # given 30 messages from 10 new senders (three each), shared out between two intake
    # processes as two MTA pipes would get them, with the middle ten given to both (a retried
    # delivery racing the first): the spools overlap in opposite orders
    from helpline.accounts.models import User

    raws = [
        mail(
            sender=f"Sender {n % 10} <pair{n % 10}@client.test>",
            message_id=f"<pair-{n}@client.test>",
            subject=f"Printer {n} jams",
        )
        for n in range(30)
    ]
    first = _spool(tmp_path, "first", raws[:20])
    second = _spool(tmp_path, "second", list(reversed(raws[10:])))
    # when both processes deliver at the same moment
    start = time.time() + 6
    processes = [driver(spool, start_at=start) for spool in (first, second)]
    results = [p.communicate(timeout=300) for p in processes]
    # then both ended normally (no busy database, no temporary failure: every spool is empty)
    assert [p.returncode for p in processes] == [0, 0], [r[1][-1500:] for r in results]
    assert not list(first.glob("*.eml")) and not list(second.glob("*.eml"))
    outcomes = [line.split()[0].decode() for out, _err in results for line in out.splitlines()[:-1]]
    # and every message was stored exactly once: 30 requests, the ten given twice found
    assert sorted(set(outcomes)) == ["created", "duplicate"]
    assert outcomes.count("created") == 30 and outcomes.count("duplicate") == 10
    stored = MailMessage.objects.filter(message_id__startswith="pair-")
    assert sorted(stored.values_list("message_id", flat=True)) == sorted(
        f"pair-{n}@client.test" for n in range(30)
    )
    assert MessageRef.objects.filter(message_id__startswith="pair-").count() == 30
    assert Ticket.objects.filter(subject__endswith=" jams").count() == 30
    # and each sender registered once, with their three requests
    senders = User.objects.filter(email__startswith="pair")
    assert senders.count() == 10
    for sender in senders:
        assert Ticket.objects.filter(requester=sender).count() == 3
    assert not QuarantinedMail.objects.exists()
