"""Mail delivery run by the worker: one attempt per task, and the sweep that finds due mail."""

from huey import crontab
from huey.contrib.djhuey import db_task

from helpline.core.jobs import periodic_job

from .services import outbox_message_deliver, outbox_sweep


@db_task()
def outbox_deliver(message_id: int):
    return outbox_message_deliver(message_id=message_id)


@periodic_job("mail.outbox_sweep", crontab(minute="*"), every=60)
def outbox_sweep_job():
    outbox_sweep()
