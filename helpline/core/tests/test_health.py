"""/healthz: 200 when every part is well, otherwise 503 with JSON naming the failing parts.

The check reads on its own connection, so these tests commit their data (`committed_db`): the
health connection cannot see a test's open transaction.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from helpline.core.health import HEARTBEAT_MAX_AGE, health_report
from helpline.core.jobs import JOBS, job_run, overdue_jobs_enqueue
from helpline.core.models import PeriodicJob
from helpline.core.tasks import HEARTBEAT_JOB, worker_heartbeat
from helpline.mail.models import OutboxMessage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_seed_restored_after_the_module"),
]


@pytest.fixture(scope="module")
def _seed_restored_after_the_module(django_db_setup, django_db_blocker):
    """Committed tests end with a flush, which empties what the migrations seeded (statuses, the
    priority matrix); put it back for the tests that run after this module."""
    with django_db_blocker.unblock():
        seed = connections["default"].creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connections["default"].creation.deserialize_db_from_string(seed)


def all_jobs_ran():
    # the worker's start: every job registered and run once (tasks run inline in tests)
    overdue_jobs_enqueue()


def test_healthy_after_the_worker_started(client):
    all_jobs_ran()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert checks["worker"]["ok"] is True
    assert checks["worker"]["last_heartbeat_seconds_ago"] < 5
    assert checks["jobs"] == {"ok": True, "overdue": []}
    assert checks["outbox"] == {
        "ok": True,
        "waiting": 0,
        "oldest_waiting_seconds": None,
        "failed": 0,
    }
    assert checks["disk"]["ok"] is True and checks["disk"]["free_mb"] > 0


def test_unavailable_when_the_worker_never_beat(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failing"] == ["worker"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "last_heartbeat_seconds_ago": None}


def test_unavailable_when_the_last_beat_is_too_old(client):
    all_jobs_ran()
    with time_machine.travel(timezone.now() - timedelta(seconds=HEARTBEAT_MAX_AGE + 60)):
        worker_heartbeat()

    body = client.get("/healthz").json()

    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["last_heartbeat_seconds_ago"] > HEARTBEAT_MAX_AGE


def test_the_heartbeat_lives_in_the_database_not_the_cache():
    worker_heartbeat()
    row = PeriodicJob.objects.get(name=HEARTBEAT_JOB)
    assert timezone.now() - row.last_succeeded_at < timedelta(seconds=5)


def test_a_job_that_has_not_completed_within_its_interval_is_reported(client):
    # given every job ran, then auto-close started and its worker was killed midway
    all_jobs_ran()
    started = timezone.now() - timedelta(hours=1)
    PeriodicJob.objects.filter(name="tickets.auto_close").update(
        last_started_at=started,
        last_succeeded_at=started - timedelta(minutes=15),
        lease_holder="elsewhere:1",
        lease_until=started + timedelta(minutes=15),
    )
    worker_heartbeat()

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["jobs"]
    (overdue,) = body["checks"]["jobs"]["overdue"]
    assert overdue["name"] == "tickets.auto_close"
    assert overdue["last_succeeded_seconds_ago"] > 3600

    # when the job runs again (its lease expired), it finishes and health is green again
    JOBS["tickets.auto_close"].task()
    assert client.get("/healthz").status_code == 200


def test_a_failing_job_is_overdue_with_its_error(client):
    all_jobs_ran()

    def broken():
        raise RuntimeError("disk on fire")

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        worker_heartbeat()
        with pytest.raises(RuntimeError):
            job_run(JOBS["tickets.auto_close"], broken)
        body = client.get("/healthz").json()

    overdue = {job["name"]: job for job in body["checks"]["jobs"]["overdue"]}
    assert overdue["tickets.auto_close"]["last_error"] == "RuntimeError: disk on fire"
    row = PeriodicJob.objects.get(name="tickets.auto_close")
    assert row.lease_until is None and row.last_finished_at > row.last_succeeded_at


def test_a_job_held_by_a_live_run_is_skipped_not_run_twice():
    all_jobs_ran()
    PeriodicJob.objects.filter(name="tickets.auto_close").update(
        lease_holder="elsewhere:1", lease_until=timezone.now() + timedelta(minutes=5)
    )
    ran = []
    assert job_run(JOBS["tickets.auto_close"], lambda: ran.append(1)) is None
    assert ran == []


def test_stuck_outbox(client, settings):
    all_jobs_ran()
    settings.HEALTH_OUTBOX_MINUTES = 30
    OutboxMessage.objects.create(
        sender="desk@x.test", recipients=["a@x.test"], raw=b"x", next_attempt_at=timezone.now()
    )
    assert client.get("/healthz").status_code == 200  # a fresh message is just waiting

    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    body = client.get("/healthz").json()
    assert body["failing"] == ["outbox"]
    assert body["checks"]["outbox"]["waiting"] == 1
    assert body["checks"]["outbox"]["oldest_waiting_seconds"] > 30 * 60


def test_a_failed_message_makes_the_outbox_fail(client):
    all_jobs_ran()
    OutboxMessage.objects.create(
        sender="desk@x.test",
        recipients=["a@x.test"],
        raw=b"x",
        next_attempt_at=timezone.now(),
        status=OutboxMessage.Status.FAILED,
    )
    body = client.get("/healthz").json()
    assert body["failing"] == ["outbox"] and body["checks"]["outbox"]["failed"] == 1


def test_disk_nearly_full(client, settings):
    all_jobs_ran()
    settings.HEALTH_MIN_FREE_MB = 10**12

    body = client.get("/healthz").json()

    assert body["failing"] == ["disk"]
    assert body["checks"]["disk"]["minimum_mb"] == 10**12


def test_the_report_is_reused_for_a_few_seconds(settings):
    all_jobs_ran()
    settings.HEALTH_CACHE_SECONDS = 60
    first = health_report()
    PeriodicJob.objects.all().delete()
    assert health_report() == first
    settings.HEALTH_CACHE_SECONDS = 0
    assert health_report()["failing"] == ["worker"]


def test_the_answer_comes_quickly():
    all_jobs_ran()
    started = time.monotonic()
    health_report()
    assert time.monotonic() - started < 3


def test_only_get(client):
    assert client.post("/healthz").status_code == 405
