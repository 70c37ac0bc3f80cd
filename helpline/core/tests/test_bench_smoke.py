"""The benchmark suite cannot rot: a tiny desk is generated and every case is run once."""

import io
import tomllib

import pytest
from django.db.models import F

from bench.cases import build_cases, personas
from bench.generate import NotEmpty, generate
from bench.run import THRESHOLDS, check, run, table
from helpline.accounts.models import User
from helpline.tickets.models import Entry, Ticket

pytestmark = pytest.mark.django_db


def test_generator_and_runner_on_a_small_desk():
    # Given a tiny generated desk,
    summary = generate(tickets=200, out=io.StringIO())

    assert summary.tickets == Ticket.objects.count() == 200
    assert summary.entries == Entry.objects.count() >= 200 * 3
    persona = User.objects.get(email="requester@bench.example")
    assert Ticket.objects.filter(requester=persona).count() == 100
    # Every ticket's status category matches its status.
    assert not Ticket.objects.exclude(status_category=F("status__category")).exists()

    # when one case of each kind runs once (all cases are built, so a broken one still fails),
    probes = ("board.agent.default", "page50", "counts.supervisor", "ticket.", "portal.requests")
    probes += ("write.",)
    document = run(repeats=1, warm_up=0, only=(*probes, "events.page"), out=io.StringIO())

    # then each page answered (a non-200 raises) with its queries counted and timed,
    cases = {case["key"]: case for case in document["cases"]}
    assert set(cases) == {
        "board.agent.default",
        "board.dispatcher.page50",
        "board.supervisor.page50",
        "counts.supervisor",
        "ticket.long_thread",
        "portal.requests",
        "events.page",
        "write.portal.new",
        "write.portal.known",
        "write.reply.20",
        "write.reply.500",
        "write.status",
    }
    assert all(case["queries"] > 0 and case["p95_ms"] > 0 for case in cases.values())
    assert cases["board.agent.default"]["plans"], "board queries are explained"
    # (and the three probe requests the write cases post to)
    assert document["meta"]["tickets"] == 200 + 3
    assert "board.agent.default" in table(document)
    # and a threshold below the measured figure is reported.
    database = document["meta"]["database"]
    failures = check(
        document,
        {"p95_ms": {database: {"events.page": 0}}, "queries": {"ticket.long_thread": 1}},
    )
    assert any(f.startswith("events.page: p95") for f in failures)
    assert any(f.startswith("ticket.long_thread:") and "queries" in f for f in failures)
    # Every case has its limits in bench/thresholds.toml, and every limit names a case.
    keys = {case.key for case in build_cases(personas())}
    limits = tomllib.loads(THRESHOLDS.read_text())
    assert set(limits["queries"]) == keys
    assert set(limits["p95_ms"]["postgresql"]) == set(limits["p95_ms"]["sqlite"]) == keys


def test_generator_refuses_a_database_with_people():
    generate(tickets=5, out=io.StringIO())
    with pytest.raises(NotEmpty):
        generate(tickets=5, out=io.StringIO())
    generate(tickets=5, append=True, out=io.StringIO())
    assert Ticket.objects.count() == 10
