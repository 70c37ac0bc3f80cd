"""receive(): new requests, replies, repeats, the quarantine, loops, identity."""

import pytest
from django.db import OperationalError

from helpline.accounts.models import Role
from helpline.mail import ingest, threading
from helpline.mail.ingest import Outcome, receive
from helpline.mail.models import (
    BouncingAddress,
    Mailbox,
    MailMessage,
    MessageRef,
    QuarantinedMail,
    StopRule,
)
from helpline.tickets.models import Channel, Entry, EntryKind, StatusCategory, Ticket
from helpline.tickets.tests.factories import TicketFactory

from .messages import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(support):
    return Mailbox.objects.create(name="Help", address="help@desk.test", department=support)


def test_new_message_opens_a_request_for_an_unverified_requester(mailbox):
    raw = mail(subject="Re: SV: Printer is broken", attachments=[("a.txt", "text/plain", b"hi")])
    receipt = receive(raw, mailbox=mailbox)
    assert receipt.outcome == Outcome.CREATED
    ticket = receipt.ticket
    assert ticket.subject == "Printer is broken"
    assert ticket.channel == Channel.EMAIL
    assert ticket.department == mailbox.department
    assert ticket.requester.email == "carol@client.test"
    assert ticket.requester.role == Role.REQUESTER
    assert not ticket.requester.has_usable_password()
    entry = receipt.entry
    assert entry.kind == EntryKind.REPLY and "floor 3" in entry.body
    assert entry.attachments.get().filename == "a.txt"
    record = entry.mail
    assert record.direction == "in" and record.from_address == "carol@client.test"
    assert record.from_name == "Carol Client"
    assert record.raw.read() == raw
    assert MessageRef.objects.get(message_id=record.message_id).ticket == ticket


def test_same_message_twice_is_one_entry(mailbox):
    raw = mail()
    first = receive(raw, mailbox=mailbox)
    second = receive(raw, mailbox=mailbox)
    assert second.outcome == Outcome.DUPLICATE
    assert second.entry == first.entry
    assert Entry.objects.filter(kind=EntryKind.REPLY).count() == 1


def test_same_message_id_with_other_bytes_is_a_repeat(mailbox):
    first = receive(mail(message_id="<one@client.test>"), mailbox=mailbox)
    again = receive(
        mail(message_id="<one@client.test>", headers={"Received": "by relay2"}), mailbox=mailbox
    )
    assert again.outcome == Outcome.DUPLICATE and again.ticket == first.ticket
    assert Ticket.objects.count() == 1


def test_reply_by_message_id_joins_the_ticket(mailbox):
    first = receive(mail(message_id="<root@client.test>"), mailbox=mailbox)
    reply = receive(
        mail(
            subject="Re: Printer is broken",
            message_id="<r1@client.test>",
            in_reply_to="<root@client.test>",
            body="Still broken.",
        ),
        mailbox=mailbox,
    )
    assert reply.outcome == Outcome.APPENDED and reply.ticket == first.ticket
    assert reply.entry.kind == EntryKind.REPLY and reply.entry.author == first.ticket.requester


def test_reply_carrying_the_token_joins_the_ticket(mailbox, requester_a):
    ticket = TicketFactory(requester=requester_a)
    to = threading.reply_address("help@desk.test", ticket.reply_token)
    receipt = receive(mail(sender="alice@acme.test", to=to, subject="whatever"), mailbox=mailbox)
    assert receipt.outcome == Outcome.APPENDED and receipt.ticket == ticket


def test_an_answer_from_the_requesters_other_address_in_capitals_is_theirs(mailbox, requester_a):
    # the sender is found in the repeat checks' statement: any of a person's addresses, any case
    from allauth.account.models import EmailAddress

    ticket = TicketFactory(requester=requester_a)
    EmailAddress.objects.create(user=requester_a, email="alice.home@acme.test", primary=False)
    to = threading.reply_address("help@desk.test", ticket.reply_token)
    receipt = receive(mail(sender="Alice <Alice.Home@ACME.test>", to=to), mailbox=mailbox)
    assert receipt.outcome == Outcome.APPENDED and receipt.ticket == ticket
    assert receipt.entry.kind == EntryKind.REPLY and receipt.entry.author == requester_a
    assert "not_participant" not in receipt.entry.mail.flags
    # and the primary address in capitals too
    receipt = receive(mail(sender="ALICE@acme.test", to=to), mailbox=mailbox)
    assert receipt.entry.author == requester_a


def test_non_participant_gets_a_flagged_note_and_no_access(mailbox, requester_a, requester_b):
    ticket = TicketFactory(requester=requester_a)
    receipt = receive(
        mail(sender="bob@globex.test", in_reply_to=threading.make_message_id(ticket)),
        mailbox=mailbox,
    )
    assert receipt.outcome == Outcome.APPENDED and receipt.ticket == ticket
    assert receipt.entry.kind == EntryKind.NOTE
    assert "not_participant" in receipt.entry.mail.flags


def test_subject_number_only_for_participants(mailbox, requester_a):
    ticket = TicketFactory(requester=requester_a)
    stranger = receive(mail(subject=f"[#{ticket.pk}] hello"), mailbox=mailbox)
    assert stranger.outcome == Outcome.CREATED and stranger.ticket != ticket
    own = receive(mail(sender="alice@acme.test", subject=f"Re: [#{ticket.pk}] hi"), mailbox=mailbox)
    assert own.outcome == Outcome.APPENDED and own.ticket == ticket
    assert "subject_hint" in own.entry.mail.flags


def test_unparseable_goes_to_quarantine(mailbox):
    receipt = receive(b"", mailbox=mailbox)
    assert receipt.outcome == Outcome.QUARANTINED
    assert receipt.quarantined.reason == QuarantinedMail.Reason.UNPARSEABLE
    assert receive(b"", mailbox=mailbox).outcome == Outcome.DUPLICATE


def test_a_parser_crash_quarantines(mailbox, monkeypatch):
    def broken(raw, **kwargs):
        raise RecursionError("deep")

    monkeypatch.setattr(ingest, "parse_message", broken)
    receipt = receive(mail(), mailbox=mailbox)
    assert receipt.outcome == Outcome.QUARANTINED
    assert "RecursionError" in receipt.quarantined.detail


def test_database_down_is_a_temporary_failure(mailbox, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(ingest, "_store", down)
    with pytest.raises(ingest.TemporaryFailure):
        receive(mail(), mailbox=mailbox)
    assert not QuarantinedMail.objects.exists()


def test_own_address_is_dropped(mailbox):
    receipt = receive(mail(sender="help@desk.test"), mailbox=mailbox)
    assert receipt.outcome == Outcome.DROPPED
    assert not Ticket.objects.exists()


def test_auto_reply_to_nothing_is_kept_not_opened(mailbox):
    receipt = receive(mail(headers={"Auto-Submitted": "auto-replied"}), mailbox=mailbox)
    assert receipt.outcome == Outcome.QUARANTINED
    assert receipt.quarantined.reason == "auto_reply"
    assert not Ticket.objects.exists()


def test_auto_reply_in_thread_is_recorded(mailbox, requester_a):
    ticket = TicketFactory(requester=requester_a, category=StatusCategory.PENDING)
    receipt = receive(
        mail(
            sender="alice@acme.test",
            subject="Out of office",
            in_reply_to=threading.make_message_id(ticket),
            headers={"Auto-Submitted": "auto-replied"},
        ),
        mailbox=mailbox,
    )
    assert receipt.outcome == Outcome.AUTO_REPLY and receipt.entry.kind == EntryKind.NOTE
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.PENDING


def test_bounce_is_linked_and_marks_the_address(mailbox, requester_a):
    ticket = TicketFactory(requester=requester_a, category=StatusCategory.RESOLVED)
    ours = threading.make_message_id(ticket)
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\n"
        "To: help@desk.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.acme.test>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; alice@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {ours}\r\nSubject: Your request\r\n--b--\r\n"
    ).encode()
    receipt = receive(report, mailbox=mailbox)
    assert receipt.outcome == Outcome.BOUNCE and receipt.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED
    bouncing = BouncingAddress.objects.get(address="alice@acme.test")
    assert "550" in bouncing.last_status and bouncing.ticket == ticket


def test_staff_address_without_proof_is_not_staff(mailbox, dispatcher, requester_a):
    ticket = TicketFactory(requester=requester_a, department=mailbox.department)
    receipt = receive(
        mail(sender="dispatcher@desk.test", in_reply_to=threading.make_message_id(ticket)),
        mailbox=mailbox,
    )
    assert receipt.entry.kind == EntryKind.NOTE and receipt.entry.author is None
    assert "spoofed" in receipt.entry.mail.flags
    new = receive(mail(sender="dispatcher@desk.test", subject="new"), mailbox=mailbox)
    assert new.outcome == Outcome.QUARANTINED and new.quarantined.reason == "staff_address"


def test_staff_address_with_proof_and_trust_replies_as_staff(
    mailbox, dispatcher, requester_a, settings
):
    settings.MAIL_TRUST_AUTHENTICATION_RESULTS = True
    ticket = TicketFactory(requester=requester_a, department=mailbox.department)
    results = "mx.desk.test; spf=pass smtp.mailfrom=desk.test; dmarc=pass header.from=desk.test"
    receipt = receive(
        mail(
            sender="dispatcher@desk.test",
            in_reply_to=threading.make_message_id(ticket),
            headers={"Authentication-Results": results},
        ),
        mailbox=mailbox,
    )
    assert receipt.entry.kind == EntryKind.REPLY and receipt.entry.author == dispatcher
    assert receipt.entry.mail.flags == []


def test_stop_rules(mailbox):
    reject = StopRule.objects.create(kind="domain", pattern="spam.test", action="reject")
    StopRule.objects.create(kind="subject", pattern="viagra", action="spam")
    dropped = receive(mail(sender="x@mail.spam.test"), mailbox=mailbox)
    assert dropped.outcome == Outcome.DROPPED
    reject.refresh_from_db()
    assert reject.hit_count == 1 and reject.hits.get().from_address == "x@mail.spam.test"
    spam = receive(mail(subject="Cheap VIAGRA"), mailbox=mailbox)
    assert spam.outcome == Outcome.QUARANTINED and spam.quarantined.reason == "spam"
    assert not Ticket.objects.exists()


def test_hourly_limit_per_sender(mailbox, settings):
    settings.MAIL_SENDER_HOURLY_LIMIT = 3
    outcomes = [receive(mail(), mailbox=mailbox).outcome for _ in range(5)]
    assert outcomes == ["created"] * 3 + ["quarantined"] * 2


def test_closed_ticket_gets_a_follow_up_or_reopens(mailbox, requester_a, settings):
    closed = TicketFactory(requester=requester_a, category=StatusCategory.CLOSED)
    follow = receive(
        mail(sender="alice@acme.test", in_reply_to=threading.make_message_id(closed)),
        mailbox=mailbox,
    )
    assert follow.outcome == Outcome.CREATED and follow.ticket != closed
    assert closed in follow.ticket.links.all()
    settings.MAIL_CLOSED_REPLY = "reopen"
    reopened = receive(
        mail(sender="alice@acme.test", in_reply_to=threading.make_message_id(closed)),
        mailbox=mailbox,
    )
    assert reopened.outcome == Outcome.APPENDED and reopened.ticket == closed
    closed.refresh_from_db()
    assert closed.status_category == StatusCategory.OPEN and closed.reopen_count == 1


def test_several_from_and_look_alike_are_flagged(mailbox):
    receipt = receive(
        mail(sender='"support@bank.test" <evil@phish.test>, other@phish.test'), mailbox=mailbox
    )
    assert {"several_from", "look_alike"} <= set(receipt.entry.mail.flags)


def test_statements_per_message_stay_few(mailbox, django_assert_max_num_queries):
    """What one message costs in SQL (the figures behind the mail-in benchmark): the repeat
    checks and the sender's hourly count in one statement, the stop list, our own addresses
    and the site settings from the reference data (read again only after a change). On
    PostgreSQL the advisory locks that serialise parallel deliveries of the same message are
    tried in the repeat checks' statement (a second statement only when one is held). The
    search index (issue 9) adds six to every request written: the request, its tags, its
    entries and the requester's addresses read back, its document replaced. The sender's
    account is read in the repeat checks' statement too, and for an address nobody has the
    organisation of its mail domain (the registration is told so and reads neither again). A
    new request's first entry is not read back, nor a request's new version (it is read under
    the row lock), nor the request again for the notifications centre. An answer's request is
    read once: the threading look-up reads it under its row lock, with whether it has
    watchers (an answer's notices ask), and hands that instance to the ticket service
    (`locked_read`). The mail row and its Message-ID's are one statement on PostgreSQL (a
    CTE), two on SQLite. On PostgreSQL the ticket services open no savepoints of their own
    inside the message's transaction (the message's own and the registration's remain)."""
    from django.db import connection

    search = 6
    pg = 1 if connection.vendor == "postgresql" else 0
    # The ticket services' own savepoints: left out on PostgreSQL, kept by SQLite's backend.
    savepoints = 0 if pg else 2
    # Warm-up, a request and an answer to it: the reference data both paths use is read once
    # per process, not per message.
    warm = receive(mail(subject="Warm-up", sender="warm@client.test"), mailbox=mailbox)
    warm_answer = mail(
        subject="Re: Warm-up", sender="warm@client.test", in_reply_to=warm.entry.mail.message_id
    )
    assert receive(warm_answer, mailbox=mailbox).outcome == Outcome.APPENDED
    with django_assert_max_num_queries(11 + search + savepoints - pg):
        created = receive(mail(subject="New one", sender="new@client.test"), mailbox=mailbox)
    assert created.outcome == Outcome.CREATED
    answer = mail(
        subject="Re: New one",
        sender="new@client.test",
        in_reply_to=created.entry.mail.message_id,
    )
    with django_assert_max_num_queries(6 + search + savepoints - pg):
        appended = receive(answer, mailbox=mailbox)
    assert (appended.outcome, appended.ticket) == (Outcome.APPENDED, created.ticket)
    stranger = mail(
        subject="Re: New one",
        sender="stranger@elsewhere.test",
        in_reply_to=created.entry.mail.message_id,
    )
    with django_assert_max_num_queries(6 + search + savepoints - pg):
        noted = receive(stranger, mailbox=mailbox)
    assert (noted.outcome, noted.ticket) == (Outcome.APPENDED, created.ticket)
    assert "not_participant" in noted.flags
    with django_assert_max_num_queries(5):
        assert receive(answer, mailbox=mailbox).outcome == Outcome.DUPLICATE


def test_a_new_stop_rule_applies_to_the_next_message(mailbox):
    """The stop list is reference data: a rule added or switched off counts from the next
    message on, in this process and in every other."""
    receive(mail(subject="Before the rule", sender="spam@junk.test"), mailbox=mailbox)
    rule = StopRule.objects.create(kind=StopRule.Kind.DOMAIN, pattern="junk.test")
    assert receive(mail(subject="After", sender="spam@junk.test"), mailbox=mailbox).outcome == (
        Outcome.QUARANTINED
    )
    rule.is_active = False
    rule.save()
    assert receive(mail(subject="Off", sender="spam@junk.test"), mailbox=mailbox).outcome == (
        Outcome.CREATED
    )


@pytest.mark.parametrize("by", ["token", "reference"])
def test_an_answer_by_mail_tells_the_requests_watchers(mailbox, dispatcher, by):
    """The threading look-up reads whether the request has watchers with its row: the
    watchers of a watched request hear of the answer, and one without asks nobody."""
    from helpline.notify.models import Kind
    from helpline.notify.models import Notification as DeskNotification

    first = receive(mail(subject="Watched", sender="watched@client.test"), mailbox=mailbox)
    other = receive(mail(subject="Unwatched", sender="other@client.test"), mailbox=mailbox)
    first.ticket.watchers.add(dispatcher)
    for receipt, sender in ((first, "watched@client.test"), (other, "other@client.test")):
        answer = (
            mail(
                sender=sender,
                to=threading.reply_address(mailbox.address, receipt.ticket.reply_token),
            )
            if by == "token"
            else mail(sender=sender, in_reply_to=receipt.entry.mail.message_id)
        )
        assert receive(answer, mailbox=mailbox).ticket == receipt.ticket
    told = DeskNotification.objects.filter(kind=Kind.REQUESTER_REPLIED)
    assert [(n.user_id, n.ticket_id) for n in told] == [(dispatcher.pk, first.ticket.pk)]


@pytest.mark.parametrize("batch", [False, True])
def test_a_ticket_service_failing_midway_leaves_nothing_of_its_message(mailbox, monkeypatch, batch):
    """The ticket services run inside a message's transaction without savepoints of their own:
    one that fails after writing rolls its message back whole (to the message's savepoint in a
    polling batch, where the messages around it stay), and the message is quarantined."""
    from contextlib import nullcontext

    from helpline.tickets.services import lifecycle

    first = receive(mail(subject="Asked", sender="asker@client.test"), mailbox=mailbox)
    real_touch = lifecycle.touch

    def touch_then_fail(ticket, *fields, **kwargs):
        real_touch(ticket, *fields, **kwargs)  # the entry, the request and its index written
        raise RuntimeError("the service broke")

    answer = mail(sender="asker@client.test", in_reply_to=first.entry.mail.message_id)
    after = mail(subject="After", sender="after@client.test")
    entries, version = Entry.objects.count(), Ticket.objects.get(pk=first.ticket.pk).version
    with ingest.receiving_together() if batch else nullcontext():
        monkeypatch.setattr(lifecycle, "touch", touch_then_fail)
        failed = receive(answer, mailbox=mailbox)
        monkeypatch.setattr(lifecycle, "touch", real_touch)
        stored = receive(after, mailbox=mailbox)
    assert failed.outcome == Outcome.QUARANTINED and "service broke" in failed.quarantined.detail
    assert stored.outcome == Outcome.CREATED
    # the failed answer left no entry, mail row or version step; the next message is whole
    assert Entry.objects.count() == entries + 1
    assert (
        not MailMessage.objects.filter(entry__ticket=first.ticket)
        .exclude(entry=first.entry)
        .exists()
    )
    assert first.ticket.entries.count() == 1
    assert Ticket.objects.get(pk=first.ticket.pk).version == version


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delivery_waits_for_a_parallel_one_holding_its_lock(mailbox):
    """The advisory locks are tried in the repeat checks' statement; one held elsewhere (a
    parallel delivery of the same message) is then awaited, and the checks run again once it
    is released. SQLite writes one transaction at a time and takes none."""
    import hashlib
    import threading as threads

    from django.db import connection, connections

    from helpline.mail.parsing import parse_message

    raw = mail(subject="Held", sender="held@client.test", message_id="<held@client.test>")
    digest = hashlib.sha256(raw).hexdigest()
    keys = ingest._serialise(digest, parse_message(raw), mailbox)
    if connection.vendor != "postgresql":
        assert keys == []
        return
    assert len(keys) == 2  # the bytes and the Message-ID in this mailbox
    other = connections.create_connection("default")
    receipts = []

    def deliver():
        try:
            receipts.append(receive(raw, mailbox=mailbox))
        finally:
            connections.close_all()

    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [keys[0]])
        worker = threads.Thread(target=deliver)
        worker.start()
        worker.join(timeout=1.5)
        assert worker.is_alive() and receipts == []  # waiting for the lock
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [keys[0]])
        worker.join(timeout=30)
    finally:
        other.close()
    assert [receipt.outcome for receipt in receipts] == [Outcome.CREATED]
    assert receive(raw, mailbox=mailbox).outcome == Outcome.DUPLICATE
