"""The mail-in benchmark cannot rot: a tiny generated desk receives a small mix once."""

import io

import pytest

from bench.generate import generate
from bench.mail_in import deliver, prepare
from helpline.mail.models import MailMessage

pytestmark = pytest.mark.django_db


def test_mail_in_bench_on_a_small_desk():
    generate(tickets=200, out=io.StringIO())
    raws, mailbox = prepare(30)
    result = deliver(raws, mailbox)
    assert result["messages"] == 30 and result["per_second"] > 0
    assert result["outcomes"].get("created", 0) > 0
    assert result["outcomes"].get("appended", 0) > 0
    again = deliver(raws[:5], mailbox)
    assert again["outcomes"] == {"duplicate": 5}
    assert MailMessage.objects.filter(direction="in").count() >= 20
