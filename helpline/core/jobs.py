"""Periodic jobs that survive a killed worker: database leases with a TTL and a run record.

A job declared with `periodic_job` runs under a lease in its `PeriodicJob` row: the lease is
taken with one conditional UPDATE (so two workers never run the same job at once), released
when the job ends, and expires by itself when the worker holding it died (kill -9, power
loss). A worker starting on the same machine releases at once the leases of processes that no
longer exist. The row also records the last start, finish, success and error, which /healthz
reads to report a job that has not completed within its interval.
"""

import functools
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from huey.contrib.djhuey import db_periodic_task

from helpline.core import clock

from .models import PeriodicJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: int  # seconds between two runs, as scheduled
    lease: int  # seconds after which a run that never ended is taken for dead
    task: object


JOBS: dict[str, Job] = {}


def lease_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def periodic_job(name: str, schedule, *, every: int, lease: int | None = None):
    """Declare a periodic Huey task `name` run on `schedule` (a crontab) every `every` seconds.

    `lease` bounds how long a run may hold the job (default: its interval, at least 5 minutes);
    a crashed run blocks the job at most that long.
    """

    def decorator(func):
        @functools.wraps(func)
        def run():
            return job_run(JOBS[name], func)

        task = db_periodic_task(schedule, name=name)(run)
        JOBS[name] = Job(name=name, interval=every, lease=lease or max(every, 300), task=task)
        return task

    return decorator


def _row(job: Job) -> PeriodicJob:
    try:
        with transaction.atomic():
            row, _created = PeriodicJob.objects.get_or_create(
                name=job.name,
                defaults={"interval_seconds": job.interval, "registered_at": clock.now()},
            )
    except IntegrityError:  # registered by another worker at the same moment
        row = PeriodicJob.objects.get(name=job.name)
    return row


def _slow_down_for_tests(name: str) -> None:
    """HELPLINE_TEST_SLOW_JOBS="name=seconds,…" makes a job hang (test settings only), so the
    fault tests can kill a worker in the middle of it."""
    if not settings.TESTING:
        return
    for item in os.environ.get("HELPLINE_TEST_SLOW_JOBS", "").split(","):
        job, _sep, seconds = item.partition("=")
        if job.strip() == name:
            time.sleep(float(seconds))


def job_run(job: Job, func):
    """Run `func` under `job`'s lease and record the outcome; skip when another run holds it."""
    _row(job)
    holder, now = lease_holder(), clock.now()
    taken = (
        PeriodicJob.objects.filter(name=job.name)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(
            lease_holder=holder,
            lease_until=now + timedelta(seconds=job.lease),
            last_started_at=now,
            interval_seconds=job.interval,
        )
    )
    if not taken:
        log.info("Periodic job %s is still running elsewhere; this run is skipped.", job.name)
        return None
    mine = PeriodicJob.objects.filter(name=job.name, lease_holder=holder)
    try:
        _slow_down_for_tests(job.name)
        result = func()
    except Exception as exc:
        mine.update(
            last_finished_at=clock.now(),
            last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
            lease_holder="",
            lease_until=None,
        )
        raise
    finished = clock.now()
    mine.update(
        last_finished_at=finished,
        last_succeeded_at=finished,
        last_error="",
        lease_holder="",
        lease_until=None,
    )
    return result


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leases_of_dead_processes_release() -> list[str]:
    """Release leases held on this machine by processes that no longer exist (or by this very
    process id, reused after a restart). Leases from other machines expire by their TTL."""
    host = socket.gethostname()
    released = []
    for row in PeriodicJob.objects.filter(lease_holder__startswith=f"{host}:"):
        pid = row.lease_holder.rpartition(":")[2]
        if pid.isdigit() and (int(pid) == os.getpid() or not _process_alive(int(pid))):
            if PeriodicJob.objects.filter(pk=row.pk, lease_holder=row.lease_holder).update(
                lease_holder="", lease_until=None
            ):
                released.append(row.name)
    if released:
        log.warning("Released the leases of interrupted jobs: %s", ", ".join(sorted(released)))
    return released


def overdue_jobs_enqueue() -> list[str]:
    """Register every periodic job and enqueue, now, those that have not succeeded within their
    interval (the first start, a worker that was down, a run killed midway)."""
    now, due = clock.now(), []
    for job in JOBS.values():
        row = _row(job)
        if row.interval_seconds != job.interval:
            PeriodicJob.objects.filter(pk=row.pk).update(interval_seconds=job.interval)
        last = row.last_succeeded_at
        if last is None or now - last >= timedelta(seconds=job.interval):
            job.task()
            due.append(job.name)
    return due


def worker_started(*, periodic: bool) -> None:
    """Called once when a consumer starts: free interrupted jobs, then catch up overdue ones
    (only on the one worker that runs periodic jobs)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    leases_of_dead_processes_release()
    if periodic:
        overdue_jobs_enqueue()
