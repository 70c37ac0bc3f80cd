"""The benchmark suite cannot rot: a tiny desk is generated and every case is run once."""

import io
import json
import tomllib

import pytest
from django.db.models import F

from bench.cases import build_cases, personas
from bench.generate import NotEmpty, generate
from bench.load import server_timing
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


def test_load_timing_summary_reads_the_workers_records(tmp_path):
    # Given what two web workers wrote (bench.serve_timed), one request before the scenario,
    def line(at, pid, path, cpu, hold):
        record = {"at": at, "pid": pid, "method": "POST", "path": path, "cpu": cpu, "wall": 2 * cpu}
        lock = {"wait": 1.0, "hold": hold, "hold_cpu": hold / 2, "connects": 0}
        return json.dumps(record | lock)

    (tmp_path / "11.jsonl").write_text(
        "\n".join(
            [line(5, 11, "/desk/tickets/7/reply/", 99, 99)]
            + [line(10 + n, 11, f"/desk/tickets/{n}/reply/", 10 + n, 4) for n in range(3)]
        )
        + "\n"
    )
    (tmp_path / "12.jsonl").write_text(line(11, 12, "/desk/tickets/3/reply/", 20, 8) + "\n")

    # when the scenario's requests (from at=10 on) are summarised,
    summary = server_timing(tmp_path, since=10)

    # then the scenario's request kind, medians and means and the spread over workers show.
    assert summary["request"] == "POST /desk/tickets/N/reply/"
    assert summary["requests"] == 4
    assert summary["cpu_ms"] == 11.5
    assert summary["lock_hold_ms"] == 5.0
    assert summary["lock_hold_cpu_ms"] == 2.5
    assert summary["per_worker"] == [3, 1]
