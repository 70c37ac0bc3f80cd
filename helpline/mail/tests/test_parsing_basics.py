"""parse_message's interface: the fields a caller reads, and the one exception it may raise."""

import pytest

from helpline.mail.parsing import Address, UnparseableMail, parse_message

SIMPLE = (
    b"From: =?koi8-r?b?8NLJ18XU?= <Ivan@Example.COM>\r\n"
    b'To: a@b.no, "Doe, John" <john@x.org>\r\n'
    b"Subject: =?utf-8?q?Hei_p=C3=A5_deg?=\r\n"
    b"Message-ID: <abc@x>\r\n"
    b"In-Reply-To: <b@y>\r\n"
    b"References: <a@x>\r\n <b@y>\r\n"
    b"Date: Mon, 1 Dec 2025 10:00:00 +0100\r\n"
    b"\r\n"
    b"Hello\r\n"
)


def test_a_simple_message_gives_every_field():
    mail = parse_message(SIMPLE)
    assert mail.message_id == "abc@x"
    assert mail.in_reply_to == "b@y"
    assert mail.references == ["a@x", "b@y"]
    assert mail.subject == "Hei på deg"
    assert mail.from_ == [Address("Привет", "Ivan@example.com")]
    assert mail.to == [Address("", "a@b.no"), Address("Doe, John", "john@x.org")]
    assert mail.date is not None and mail.date.utcoffset().total_seconds() == 3600
    assert mail.text == "Hello\n"
    assert mail.html is None
    assert mail.header("subject") == "Hei på deg"


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"no headers here at all", b"\x00\xff"])
def test_nothing_usable_raises_unparseable_mail(raw):
    with pytest.raises(UnparseableMail) as caught:
        parse_message(raw)
    assert caught.value.reason
