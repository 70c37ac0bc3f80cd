"""Property: whatever bytes arrive, receive() neither raises nor loses them — the message
becomes an entry (its raw bytes kept beside it) or a quarantine row, or is recognised as one
already stored."""

import hashlib
import time

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpline.mail.ingest import Outcome, receive
from helpline.mail.models import Mailbox, MailMessage, QuarantinedMail

pytestmark = pytest.mark.django_db

HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Date",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "Auto-Submitted",
    "Content-Disposition",
    "Authentication-Results",
    "X-Failed-Recipients",
    "Reply-To",
]
VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "a@b.test",
            "Name <x@y.test>",
            "<id@host>",
            "multipart/mixed; boundary=b",
            "text/html; charset=koi8-r",
            "base64",
            "quoted-printable",
            "=?utf-8?b?w6Y=?=",
            "=?x-unknown?q?=FF?=",
            "auto-replied",
            "<hl.aaaaaaaaaaaaaaaaaaaaaaaa.1@d>",
            "multipart/report; report-type=delivery-status; boundary=b",
            "",
        ]
    ),
)
HEADER = st.tuples(st.sampled_from(HEADER_NAMES), VALUES).map(
    lambda pair: f"{pair[0]}: {pair[1]}".encode("utf-8", "surrogatepass")
)
BODY = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(
        [
            b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
            b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y\r\n\r\n--b",
            b"=E6=\r\n=XX",
            b"////",
            b"\x00\x00\x00",
        ]
    ),
)
STRUCTURED = st.builds(
    lambda headers, separator, body: separator.join(headers) + separator * 2 + body,
    st.lists(HEADER, max_size=12),
    st.sampled_from([b"\r\n", b"\n", b"\r"]),
    BODY,
)
# Mostly mail-like: a sender that can open a request, then anything.
MAIL_LIKE = st.builds(
    lambda sender, headers, separator, body: (
        separator.join([sender, *headers]) + separator * 2 + body
    ),
    st.sampled_from([b"From: a@client.test", b"From: B <b@client.test>", b"from:c@client.test"]),
    st.lists(HEADER, max_size=10),
    st.sampled_from([b"\r\n", b"\n"]),
    BODY,
)
MESSAGES = st.one_of(st.binary(max_size=2000), STRUCTURED, MAIL_LIKE, MAIL_LIKE)


def _kept(raw: bytes, receipt) -> bool:
    digest = hashlib.sha256(raw).hexdigest()
    if receipt.outcome in (Outcome.CREATED, Outcome.APPENDED, Outcome.AUTO_REPLY, Outcome.BOUNCE):
        return receipt.entry.mail.raw.read() == raw
    if receipt.outcome == Outcome.QUARANTINED:
        return bytes(receipt.quarantined.raw) == raw
    if receipt.outcome == Outcome.DUPLICATE:
        # the same bytes, or a message with the same Message-ID, is already stored
        return (
            MailMessage.objects.filter(sha256=digest).exists()
            or QuarantinedMail.objects.filter(sha256=digest).exists()
            or receipt.entry is not None
        )
    # dropped: only our own mail (there is no stop rule here)
    return receipt.outcome == Outcome.DROPPED and receipt.detail in ("own address", "own message")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=MESSAGES)
def test_arbitrary_bytes_are_never_lost(raw, support, settings):
    settings.MAIL_SENDER_HOURLY_LIMIT = 0
    mailbox, _ = Mailbox.objects.get_or_create(
        name="Help", defaults={"address": "help@desk.test", "department": support}
    )
    started = time.monotonic()
    receipt = receive(raw, mailbox=mailbox)
    assert time.monotonic() - started < 20
    event(receipt.outcome)
    assert _kept(raw, receipt), receipt
