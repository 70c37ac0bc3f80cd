"""Periodic work on tickets, run by the worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import tickets_auto_close


@db_periodic_task(crontab(minute="*/15"))
@lock_task("tickets-auto-close")
def auto_close_resolved():
    tickets_auto_close()
