"""Periodic housekeeping of accounts, run by the worker."""

from huey import crontab

from helpline.core.jobs import periodic_job

from .selfservice import signups_expired_remove


@periodic_job("accounts.signups_expired", crontab(minute="23", hour="*/6"), every=6 * 3600)
def signups_expired():
    signups_expired_remove()
