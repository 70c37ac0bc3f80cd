"""Periodic work on tickets, run by the worker."""

from huey import crontab

from helpline.core.jobs import periodic_job

from .services import tickets_auto_close


@periodic_job("tickets.auto_close", crontab(minute="*/15"), every=15 * 60)
def auto_close_resolved():
    tickets_auto_close()
