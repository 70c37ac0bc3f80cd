"""Periodic housekeeping of accounts, run by the worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .selfservice import signups_expired_remove


@db_periodic_task(crontab(minute="23", hour="*/6"))
@lock_task("accounts-signups-expired")
def signups_expired():
    signups_expired_remove()
