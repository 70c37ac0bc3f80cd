"""The behaviour corpus: real-world-style messages (ingest_corpus/*.eml) through receive(), each
with the outcome it must have — threading, loops, bounces, spoofing, header injection.

Placeholders in the files ({{ours}}, {{token}}, {{T}} …) are filled with the ids of the desk
built here, as the mail we sent would have carried them.
"""

from pathlib import Path

import pytest

from helpline.accounts.tests.factories import OrganisationFactory, UserFactory
from helpline.core import clock
from helpline.mail import threading
from helpline.mail.ingest import receive
from helpline.mail.models import BouncingAddress, Mailbox, MessageRef, StopRule
from helpline.tickets.models import StatusCategory, Ticket
from helpline.tickets.tests.factories import TicketFactory

from .messages import mail

CORPUS = Path(__file__).parent / "ingest_corpus"
TRUSTED = {"MAIL_TRUST_AUTHENTICATION_RESULTS": True}

# file -> expectation. outcome; ticket: the fixture ticket it must join ("new": a new one,
# None: none); kind of entry; flags it must carry (and "no_flags"); quarantine reason; settings.
EXPECT: dict[str, dict] = {
    "01-new-plain.eml": {"outcome": "created", "ticket": "new", "kind": "reply"},
    "02-new-html-only.eml": {"outcome": "created", "ticket": "new", "body": "VPN"},
    "03-reply-in-reply-to.eml": {"outcome": "appended", "ticket": "T", "kind": "reply"},
    "04-reply-deep-references.eml": {"outcome": "appended", "ticket": "T", "kind": "reply"},
    "05-reply-token-plus-address.eml": {"outcome": "appended", "ticket": "T", "kind": "reply"},
    "06-subject-hint-participant.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "reply",
        "flags": {"subject_hint"},
    },
    "07-subject-hint-stranger.eml": {"outcome": "created", "ticket": "new"},
    "08-reply-prefix-sv.eml": {"outcome": "appended", "ticket": "T", "body": "enn\u00e5"},
    "09-new-russian-prefix.eml": {"outcome": "created", "ticket": "new", "subject": "Принтер"},
    "10-non-participant.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "note",
        "flags": {"not_participant"},
    },
    "11-colleague-read-only.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "note",
        "flags": {"not_participant"},
    },
    "12-closed-follow-up.eml": {"outcome": "created", "ticket": "new", "linked": "C"},
    "13-resolved-reopens.eml": {
        "outcome": "appended",
        "ticket": "R",
        "kind": "reply",
        "status": StatusCategory.OPEN,
    },
    "14-auto-submitted-in-thread.eml": {
        "outcome": "recorded-auto-reply",
        "ticket": "T",
        "kind": "note",
        "flags": {"auto_reply"},
        "status": StatusCategory.PENDING,
    },
    "15-x-autoreply-no-thread.eml": {"outcome": "quarantined", "reason": "auto_reply"},
    "16-precedence-bulk.eml": {"outcome": "quarantined", "reason": "auto_reply"},
    "17-automatic-reply-subject.eml": {
        "outcome": "recorded-auto-reply",
        "ticket": "T",
        "kind": "note",
    },
    "18-exchange-oof.eml": {"outcome": "quarantined", "reason": "auto_reply"},
    "19-dsn-bounce.eml": {
        "outcome": "bounce",
        "ticket": "T",
        "kind": "note",
        "flags": {"bounce"},
        "bouncing": "alice@acme.test",
        "status": StatusCategory.PENDING,
    },
    "20-exim-bounce-token.eml": {
        "outcome": "bounce",
        "ticket": "T",
        "kind": "note",
        "bouncing": "alice@acme.test",
    },
    "21-bounce-unmatched.eml": {"outcome": "quarantined", "reason": "bounce"},
    "22-own-address-loop.eml": {"outcome": "dropped"},
    "23-own-plus-address.eml": {"outcome": "dropped"},
    "24-own-message-echo.eml": {"outcome": "dropped"},
    "25-staff-spoof-reply.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "note",
        "flags": {"spoofed"},
        "author": None,
    },
    "26-staff-fake-auth-results-below.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "note",
        "flags": {"spoofed"},
        "settings": TRUSTED,
    },
    "27-staff-dmarc-pass-trusted.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "reply",
        "author": "dispatcher",
        "no_flags": True,
        "settings": TRUSTED,
    },
    "28-staff-dmarc-pass-not-trusted.eml": {
        "outcome": "appended",
        "ticket": "T",
        "kind": "note",
        "flags": {"spoofed"},
    },
    "29-staff-new-message.eml": {"outcome": "quarantined", "reason": "staff_address"},
    "30-several-from.eml": {"outcome": "created", "ticket": "new", "flags": {"several_from"}},
    "31-look-alike-name.eml": {"outcome": "created", "ticket": "new", "flags": {"look_alike"}},
    "32-header-injection-subject.eml": {"outcome": "created", "ticket": "new", "one_line": True},
    "33-header-injection-name.eml": {"outcome": "created", "ticket": "new", "one_line": True},
    "34-no-from.eml": {"outcome": "quarantined", "reason": "no_sender"},
    "35-no-message-id.eml": {"outcome": "created", "ticket": "new"},
    "36-garbage.eml": {"outcome": "quarantined"},
    "37-empty-body.eml": {"outcome": "created", "ticket": "new", "body": "no text"},
    "38-nul-bytes.eml": {"outcome": "created", "ticket": "new", "body": "after"},
    "39-token-in-references-only.eml": {"outcome": "appended", "ticket": "T"},
    "40-forged-token.eml": {"outcome": "created", "ticket": "new"},
    "41-reply-to-merged.eml": {"outcome": "appended", "ticket": "T", "kind": "reply"},
    "42-reply-to-trashed.eml": {"outcome": "created", "ticket": "new"},
    "43-stop-rule-body.eml": {"outcome": "quarantined", "reason": "stop_rule"},
    "44-mailing-list.eml": {"outcome": "quarantined", "reason": "auto_reply"},
    "45-attachment-refused-type.eml": {
        "outcome": "created",
        "ticket": "new",
        "files": ["notes.txt"],
        "refused": ["setup.exe"],
    },
    "46-rate-limited.eml": {"outcome": "quarantined", "reason": "rate_limit"},
    "47-colleague-may-act.eml": {"outcome": "appended", "ticket": "TC", "kind": "reply"},
}


def test_every_corpus_file_has_an_expectation():
    files = sorted(path.name for path in CORPUS.glob("*.eml"))
    assert files == sorted(EXPECT)
    assert len(files) >= 30


@pytest.fixture
def desk(db, support, dispatcher, requester_a, requester_a2, requester_b, settings):
    settings.MAIL_SENDER_HOURLY_LIMIT = 2
    Mailbox.objects.create(name="Help", address="help@desk.test", department=support)
    tickets = {
        "T": TicketFactory(requester=requester_a, department=support, category="pending"),
        "C": TicketFactory(requester=requester_a, department=support, category="closed"),
        "R": TicketFactory(requester=requester_a, department=support, category="resolved"),
        "M": TicketFactory(requester=requester_a, department=support),
        "X": TicketFactory(requester=requester_a, department=support),
    }
    tickets["M"].merged_into = tickets["T"]
    tickets["M"].save()
    tickets["X"].deleted_at = clock.now()
    tickets["X"].save()
    initrode = OrganisationFactory(
        name="Initrode", domain="initrode.test", shared_requests=True, colleagues_may_act=True
    )
    cleo_boss = UserFactory(email="boss@initrode.test", organisation=initrode)
    UserFactory(email="cleo@initrode.test", organisation=initrode)
    tickets["TC"] = TicketFactory(requester=cleo_boss, department=support, category="open")
    values = {
        "T": str(tickets["T"].pk),
        "token": tickets["T"].reply_token,
        "NUL": "\x00",
    }
    for key, name in [
        ("ours", "T"),
        ("ours_closed", "C"),
        ("ours_resolved", "R"),
        ("ours_merged", "M"),
        ("ours_trashed", "X"),
        ("ours_c", "TC"),
    ]:
        values[key] = threading.make_message_id(tickets[name])
        threading.message_ref_record(message_id=values[key], ticket=tickets[name], direction="out")
    values["ours_unrecorded"] = threading.make_message_id(tickets["T"])
    values["ours_sent"] = "<sent-notification@desk.test>"
    threading.message_ref_record(
        message_id=values["ours_sent"],
        ticket=tickets["T"],
        direction="out",
        mailbox=Mailbox.objects.get(),
    )
    StopRule.objects.create(kind="body", pattern="casino bonus", action="quarantine")
    for _n in range(2):
        receive(mail(sender="flood@client.test"), mailbox=Mailbox.objects.get())
    return tickets, values


def _raw(name: str, values: dict) -> bytes:
    raw = (CORPUS / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{{" + key.encode() + b"}}", value.encode())
    return raw


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_corpus_message(name, desk, settings, dispatcher):
    tickets, values = desk
    expect = EXPECT[name]
    for key, value in expect.get("settings", {}).items():
        setattr(settings, key, value)
    before = set(Ticket.objects.values_list("pk", flat=True))
    raw = _raw(name, values)
    receipt = receive(raw, mailbox=Mailbox.objects.get())
    assert receipt.outcome == expect["outcome"], receipt

    wanted = expect.get("ticket")
    if wanted == "new":
        assert receipt.ticket is not None and receipt.ticket.pk not in before
    elif wanted:
        assert receipt.ticket == tickets[wanted]
    if receipt.outcome in ("created", "appended"):
        # nothing else opened a request on the side
        assert Ticket.objects.count() == len(before) + (receipt.outcome == "created")
    elif receipt.outcome != "bounce" and receipt.outcome != "recorded-auto-reply":
        assert Ticket.objects.count() == len(before)
    entry = receipt.entry
    if "kind" in expect:
        assert entry.kind == expect["kind"]
    if "author" in expect:
        author = expect["author"]
        assert entry.author == (dispatcher if author == "dispatcher" else None)
    if "flags" in expect:
        assert expect["flags"] <= set(entry.mail.flags), entry.mail.flags
    if expect.get("no_flags"):
        assert entry.mail.flags == []
    if "reason" in expect:
        assert receipt.quarantined.reason == expect["reason"]
        assert bytes(receipt.quarantined.raw) == raw
    if "status" in expect:
        ticket = Ticket.objects.get(pk=(receipt.ticket or tickets["T"]).pk)
        assert ticket.status_category == expect["status"]
    if "body" in expect:
        assert expect["body"] in entry.body
    if "subject" in expect:
        assert receipt.ticket.subject == expect["subject"]
    if "linked" in expect:
        assert tickets[expect["linked"]] in receipt.ticket.links.all()
    if "bouncing" in expect:
        assert BouncingAddress.objects.filter(address=expect["bouncing"]).exists()
    if expect.get("one_line"):
        for text in (receipt.ticket.subject, entry.mail.subject, entry.mail.from_name):
            assert "\r" not in text and "\n" not in text, text
    if "files" in expect:
        assert [a.filename for a in entry.attachments.all()] == expect["files"]
    if "refused" in expect:
        assert [r["filename"] for r in entry.mail.refused] == expect["refused"]
        assert "setup.exe" in entry.body
    if entry is not None:
        # the raw message is kept as received, beside the entry
        assert entry.mail.raw.read() == raw
    # and delivering the same bytes again changes nothing
    again = receive(raw, mailbox=Mailbox.objects.get())
    if receipt.outcome in ("created", "appended", "bounce", "recorded-auto-reply", "quarantined"):
        assert again.outcome == "duplicate"
        assert (
            MessageRef.objects.filter(direction="in").count()
            == MessageRef.objects.filter(direction="in")
            .values("mailbox", "message_id")
            .distinct()
            .count()
        )
