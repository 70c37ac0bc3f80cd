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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_in_bench_with_two_processes_on_a_small_desk():
    """--concurrency: two spawned intake processes share each pass (they must see the test
    database's rows, hence a transactional test)."""
    from bench.mail_in import deliver_concurrently

    from .processes import database_url

    generate(tickets=200, out=io.StringIO())
    raws, mailbox = prepare(20)
    first, again = deliver_concurrently([raws, raws[:4]], mailbox, database_url(), 2)
    assert first["processes"] == 2 and first["messages"] == 20
    assert sum(first["outcomes"].values()) == 20 and first["outcomes"].get("created", 0) > 0
    assert again["outcomes"] == {"duplicate": 4}
    # the warm-up's two messages per process and the twenty, each stored once
    assert MailMessage.objects.filter(direction="in").count() == 24
