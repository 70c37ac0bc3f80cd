"""Periodic housekeeping run by the worker: the heartbeat and the SQLite integrity check."""

from huey import crontab

from .health import database_integrity_check
from .jobs import periodic_job

HEARTBEAT_JOB = "core.heartbeat"


@periodic_job(HEARTBEAT_JOB, crontab(minute="*"), every=60)
def worker_heartbeat():
    """Its finish time in the `PeriodicJob` row is the heartbeat /healthz reads."""


@periodic_job("core.database_check", crontab(minute="17", hour="*/6"), every=6 * 3600)
def database_check():
    database_integrity_check()
