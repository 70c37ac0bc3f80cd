"""Absurd messages (generated: too big to keep as files) and arbitrary bytes: parsing stays within
its bounds of time and memory and never raises anything but UnparseableMail."""

import base64
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.mail.parsing import (
    MAX_BODY_CHARS,
    MAX_PARTS,
    REFUSED_TOO_LARGE,
    ParsedMail,
    UnparseableMail,
    parse_message,
)

HEAD = b"From: Kari <kari@example.no>\r\nSubject: absurd\r\nMessage-ID: <absurd@x>\r\n"


def timed(raw, **kwargs):
    started = time.monotonic()
    mail = parse_message(raw, **kwargs)
    return mail, time.monotonic() - started


def multipart(parts, boundary=b"b"):
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return (
        HEAD + b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n' + body
        + b"--" + boundary + b"--\r\n"
    )  # fmt: skip


def test_a_huge_body_is_cut_with_a_defect():
    raw = HEAD + b"Content-Type: text/plain\r\n\r\n" + b"0123456789 abcdefghi\r\n" * 400_000
    mail, seconds = timed(raw)
    assert len(mail.text) == MAX_BODY_CHARS
    assert "body longer than the limit: cut" in mail.defects
    assert seconds < 15


def test_an_attachment_over_the_limit_is_listed_with_its_name_and_size_but_not_kept():
    big = base64.encodebytes(b"\x89PNG" + b"\x00" * (3 * 1024 * 1024))
    raw = multipart(
        [
            b"Content-Type: text/plain\r\n\r\nThe scan is attached.",
            b'Content-Type: image/png\r\nContent-Disposition: attachment; filename="scan.png"'
            b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + big,
            b'Content-Type: text/plain; name="small.txt"\r\n'
            b"Content-Disposition: attachment\r\n\r\nsmall",
        ]
    )
    mail, seconds = timed(raw, max_attachment_bytes=1024 * 1024)
    assert mail.text == "The scan is attached."
    scan, small = mail.attachments
    assert (scan.filename, scan.size, scan.data, scan.refused) == (
        "scan.png",
        3 * 1024 * 1024 + 4,
        None,
        REFUSED_TOO_LARGE,
    )
    assert small.data == b"small" and small.refused is None
    assert seconds < 10
    # Without a limit the same file is kept.
    assert parse_message(raw).attachments[0].data is not None


def test_hundreds_of_parts_are_all_read():
    parts = [b"Content-Type: text/plain\r\n\r\nhello"] + [
        b'Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f'
        + str(i).encode()
        + b'.bin"\r\n\r\nx'
        for i in range(600)
    ]
    mail, seconds = timed(multipart(parts))
    assert len(mail.attachments) == 600
    assert mail.attachments[-1].filename == "f599.bin"
    assert seconds < 10


def test_parts_past_the_limit_are_not_read_and_a_defect_says_so():
    parts = [b"Content-Type: text/plain\r\n\r\nhello"] + [
        b"Content-Type: application/octet-stream\r\n\r\nx" for _ in range(MAX_PARTS + 200)
    ]
    mail, seconds = timed(multipart(parts))
    assert mail.text == "hello"
    assert len(mail.attachments) < MAX_PARTS
    assert any("parts: the rest were not read" in d for d in mail.defects)
    assert seconds < 20


def nested(depth):
    raw = b"Content-Type: text/plain\r\n\r\ninnermost"
    for level in range(depth):
        boundary = b"n" + str(level).encode()
        raw = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--' + boundary
            + b"\r\n" + raw + b"\r\n--" + boundary + b"--"
        )  # fmt: skip
    return HEAD + raw + b"\r\n"


def test_deep_nesting_is_read_to_the_limit():
    mail, seconds = timed(nested(30))
    assert mail.text == "innermost"
    mail, seconds = timed(nested(80))
    assert any("nested deeper than" in d for d in mail.defects)
    assert seconds < 10


def test_nesting_too_deep_for_the_library_still_gives_the_headers():
    mail, seconds = timed(nested(3000))
    assert mail.subject == "absurd"
    assert seconds < 30


def test_truncated_in_the_middle_of_a_part_header():
    raw = (
        HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--b\r\nContent-Ty"
    )
    mail = parse_message(raw)
    assert mail.text.startswith("first")


def test_thousands_of_headers_and_a_megabyte_header_line():
    raw = HEAD + b"X-Junk: y\r\n" * 20_000 + b"X-Long: " + b"a" * 1_000_000 + b"\r\n\r\nbody"
    mail, seconds = timed(raw)
    assert mail.text == "body"
    assert len(mail.headers) <= 1000
    assert seconds < 10


def test_a_subject_of_a_hundred_thousand_encoded_words():
    raw = (
        b"From: a@example.org\r\nSubject: " + b"=?utf-8?q?a?= " * 100_000 + b"\r\n\r\nbody"
    )  # fmt: skip
    mail, seconds = timed(raw)
    assert mail.subject.startswith("aaaa")
    assert seconds < 10


def test_huge_html_is_cut_and_stays_fast():
    raw = (
        HEAD + b"Content-Type: text/html\r\n\r\n"
        + b"<div><p style='color:red'>cell</p><blockquote>q</blockquote></div>" * 120_000
    )  # fmt: skip
    mail, seconds = timed(raw)
    assert "HTML longer than the limit: cut" in mail.defects
    assert mail.html.startswith("<div>")
    assert seconds < 30


def test_quote_folding_of_long_text_and_html_is_linear():
    from helpline.mail.quoting import fold_html, split_text

    text = ("x" * 5000 + "\n> quoted\nanswer\n") * 300
    started = time.monotonic()
    blocks = split_text(text)
    fold_html("<blockquote>q</blockquote><p>a</p>" * 50_000, "S")
    assert len(blocks) > 100
    assert time.monotonic() - started < 15


H = b"From: a@example.org\r\nSubject: x\r\n"
PATHOLOGICAL = {
    "commas in To": H + b"To: " + b"a," * 200_000 + b"\r\n\r\nb",
    "open parentheses in To": H + b"To: " + b"(" * 100_000 + b"\r\n\r\nb",
    "open quotes in To": H + b"To: " + b'"a' * 100_000 + b"\r\n\r\nb",
    "angle brackets in To": H + b"To: " + b"<" * 100_000 + b"\r\n\r\nb",
    "digits in Date": H + b"Date: " + b"1 " * 100_000 + b"\r\n\r\nb",
    "50,000 parameters": H + b"Content-Type: text/plain" + b"; a=b" * 50_000 + b"\r\n\r\nb",
    "20,000 RFC 2231 continuations": H
    + b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
    + b"Content-Disposition: attachment"
    + b"".join(b"; filename*%d*=%%41" % i for i in range(20_000))
    + b"\r\n\r\nx\r\n--q--",
    "100,000 references": H + b"References: " + b"<a@b> " * 100_000 + b"\r\n\r\nb",
    "a two-megabyte line": H + b"\r\n1<" + b"a" * 2_000_000,
    "100,000 nested divs": H + b"Content-Type: text/html\r\n\r\n" + b"<div>" * 100_000,
    "200,000 attributes": H + b"Content-Type: text/html\r\n\r\n<p " + b"a=b " * 200_000 + b">x",
    "100,000 boundary lines": H
    + b"Content-Type: multipart/mixed; boundary=q\r\n\r\n"
    + b"--q\r\n" * 100_000,
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_messages_stay_fast(name):
    from helpline.mail.quoting import split_text

    started = time.monotonic()
    mail = parse_message(PATHOLOGICAL[name])
    split_text(mail.text)
    assert time.monotonic() - started < 20


def check(raw):
    try:
        mail = parse_message(raw)
    except UnparseableMail as exc:
        assert exc.reason
        return
    assert isinstance(mail, ParsedMail)
    assert "\x00" not in mail.text


# Generous per-example deadline: a shared, loaded machine must not fail a message that parses
# in milliseconds; a hang still fails.
FUZZ = settings(max_examples=300, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(raw):
    check(raw)


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_after_headers(raw):
    check(HEAD + raw)


PIECES = st.sampled_from(
    [
        b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"Content-Type: multipart/alternative; boundary=b\r\n",
        b'Content-Type: multipart/related; boundary="b"; start="<x>"\r\n',
        b"Content-Type: multipart/signed; boundary=b\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/html; charset=utf-7\r\n",
        b"Content-Type: text/plain; charset=x-unknown\r\n",
        b"Content-Type: text/calendar\r\n",
        b"Content-Type: application/ms-tnef\r\n",
        b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: attachment; filename*0*=utf-8''%E2%80; filename*1=\"x\"\r\n",
        b'Content-Disposition: inline; filename="=?koi8-r?B?8NLJ?="\r\n',
        b"Content-ID: <x>\r\n",
        b"Subject: =?utf-8?B?0J8=?= =?bogus?Q?=FF?=\r\n",
        b'From: "a, b" <x@y>, =?utf-8?q?=22?= <@>\r\n',
        b"Date: Mon, 99 Foo 2025 25:61:61 +9999\r\n",
        b"References: <a@b> <c@d\r\n",
        b"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"<p onclick=x>hi<script>alert(1)</script>\r\n",
        b"> quoted\r\n",
        b"On Mon, Ann wrote:\r\n",
        b"MIIBAgYJKoZIhvcNAQcCoIIB\r\n",
        b"\xff\xfe\xc3\x28\r\n",
        b"\r",
        b"\n",
    ]
)


@FUZZ
@given(st.lists(PIECES, max_size=60))
def test_mime_shaped_noise(pieces):
    check(HEAD + b"".join(pieces))
