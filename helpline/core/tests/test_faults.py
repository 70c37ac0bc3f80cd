"""Fault tests with real processes: a dead or silent database behind /healthz, a corrupt SQLite
file, and a worker killed with SIGKILL in the middle of a periodic job."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_serve import free_port, production_env

HEALTH = """
import json, sys, time
import django
django.setup()
from helpline.core.health import database_integrity_check, health_report
if "--integrity" in sys.argv:
    database_integrity_check()
started = time.monotonic()
report = health_report()
print(json.dumps({"seconds": time.monotonic() - started, "report": report}))
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A migrated SQLite database file, made once and copied by each test."""
    data = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [sys.executable, "-m", "helpline.config.cli", "migrate", "-v0"],
        env=production_env(data),
        check=True,
        timeout=120,
    )
    return data / "helpline.sqlite3"


def installation(tmp_path: Path, migrated: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(migrated, data / "helpline.sqlite3")
    return data


def health_in(data: Path, *args: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", HEALTH, *args],
        env={**production_env(data), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_dead_postgresql_port_answers_quickly_naming_the_database(tmp_path):
    port = free_port()  # nothing listens there
    out = health_in(tmp_path, HELPLINE_DATABASE_URL=f"postgres://helpline@127.0.0.1:{port}/x")

    assert out["seconds"] < 3
    report = out["report"]
    assert report["status"] == "unavailable" and report["failing"] == ["database"]
    database = report["checks"]["database"]
    assert database["problem"] == "unreachable"
    assert database["where"] == f"127.0.0.1:{port}/x"
    assert report["checks"]["worker"] == {"ok": None, "error": "database unavailable"}


def test_a_database_that_never_answers_is_reported_within_three_seconds(tmp_path):
    # a server that accepts the connection and then says nothing (a hung PostgreSQL, a
    # firewall half-open): only the connect timeout ends the wait
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        out = health_in(tmp_path, HELPLINE_DATABASE_URL=f"postgres://helpline@127.0.0.1:{port}/x")

    assert out["seconds"] < 3
    assert out["report"]["failing"] == ["database"]
    assert out["report"]["checks"]["database"]["problem"] in {"unreachable", "timeout"}


def test_a_file_that_is_not_a_database_is_reported_corrupt(tmp_path):
    (tmp_path / "helpline.sqlite3").write_bytes(b"certainly not SQLite " * 500)

    report = health_in(tmp_path)["report"]

    assert report["failing"] == ["database"]
    assert report["checks"]["database"]["problem"] == "corrupt"


def damage_the_last_pages(path: Path) -> None:
    """Add a table at the end of the file, then overwrite its pages with noise: the tables the
    health check reads stay intact, only `quick_check` finds the damage."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE filler (n INTEGER, blob BLOB)")
        db.executemany(
            "INSERT INTO filler VALUES (?, randomblob(300))", [(n,) for n in range(3000)]
        )
        db.execute("CREATE INDEX filler_n ON filler (n)")
    db.close()
    page = 4096
    size = path.stat().st_size
    with path.open("r+b") as fh:
        for offset in range(size - 6 * page, size - page, page):
            fh.seek(offset + 100)
            fh.write(os.urandom(page - 200))


def test_quick_check_finds_damaged_pages_and_health_reports_it(tmp_path, migrated):
    data = installation(tmp_path, migrated)
    damage_the_last_pages(data / "helpline.sqlite3")

    out = health_in(data, "--integrity")

    report = out["report"]
    assert "database" in report["failing"]
    database = report["checks"]["database"]
    assert database["problem"] == "corrupt"
    assert database["detail"] and database["detail"] != "ok"
    stored = json.loads((data / "database-check.json").read_text())
    assert stored["ok"] is False


def test_quick_check_on_a_sound_file_is_ok(tmp_path, migrated):
    data = installation(tmp_path, migrated)
    report = health_in(data, "--integrity")["report"]
    assert report["checks"]["database"] == {"ok": True, "vendor": "sqlite"}
    assert json.loads((data / "database-check.json").read_text())["ok"] is True


# --- the worker killed mid-job --------------------------------------------------------------


def job_row(data: Path, name: str) -> dict:
    with sqlite3.connect(data / "helpline.sqlite3", timeout=10) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM core_periodicjob WHERE name = ?", [name]).fetchone()
    db.close()
    return dict(row) if row else {}


def wait_for(predicate, seconds: float = 45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail("timed out")


def start_worker(data: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "helpline.config.cli", "worker", "--threads", "2"],
        env={**production_env(data), "HELPLINE_TESTING": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_a_worker_killed_mid_job_does_not_stop_the_job_forever(tmp_path, migrated):
    data = installation(tmp_path, migrated)
    job = "tickets.auto_close"

    # given a worker whose start runs the never-run auto-close job, made to hang midway
    first = start_worker(data, HELPLINE_TEST_SLOW_JOBS=f"{job}=120")
    try:
        running = wait_for(lambda: job_row(data, job).get("lease_holder"))
        assert running.endswith(f":{first.pid}")
        # when the worker is killed in the middle of it
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    interrupted = job_row(data, job)
    assert interrupted["lease_holder"] and interrupted["last_succeeded_at"] is None

    # then a restarted worker frees the dead run's lease, runs the job again and finishes it
    second = start_worker(data)
    try:
        done = wait_for(lambda: (row := job_row(data, job)).get("last_succeeded_at") and row)
        # (the lease is free again, unless the minute's scheduler already started a new run)
        assert not done["lease_holder"].endswith(f":{first.pid}")
        assert done["last_error"] == ""
    finally:
        stop(second)
