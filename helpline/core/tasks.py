"""Periodic housekeeping run by the worker: the heartbeat, the SQLite integrity check, SQLite's
planner statistics and forgetting old submission keys."""

from huey import crontab

from .health import database_integrity_check
from .jobs import periodic_job
from .planner import planner_statistics_refresh
from .submissions import submission_keys_forget

HEARTBEAT_JOB = "core.heartbeat"


@periodic_job(HEARTBEAT_JOB, crontab(minute="*"), every=60)
def worker_heartbeat():
    """Its finish time in the `PeriodicJob` row is the heartbeat /healthz reads."""


@periodic_job("core.database_check", crontab(minute="17", hour="*/6"), every=6 * 3600)
def database_check():
    database_integrity_check()


@periodic_job("core.planner_statistics", crontab(minute="43", hour="3"), every=24 * 3600)
def planner_statistics():
    """SQLite: fresh sampled statistics once a day, as the desk grows (helpline/core/planner.py)."""
    planner_statistics_refresh()


@periodic_job("core.submission_keys_cleanup", crontab(minute="17", hour="*"), every=3600)
def submission_keys_cleanup():
    submission_keys_forget()
