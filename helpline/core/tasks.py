"""Periodic housekeeping run by the worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .health import worker_heartbeat_record
from .submissions import submission_keys_forget


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat():
    worker_heartbeat_record()


@db_task()
def worker_heartbeat_now():
    worker_heartbeat_record()


@db_periodic_task(crontab(minute="17", hour="*"))
def submission_keys_cleanup():
    submission_keys_forget()
