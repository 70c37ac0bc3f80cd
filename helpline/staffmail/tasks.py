"""Internal mail's work after the commit: the letters to those who want them, and the sweep
that writes the letters of messages whose task was lost."""

from huey import crontab
from huey.contrib.djhuey import db_task

from helpline.core.jobs import periodic_job

from .services import message_letters, message_letters_sweep


@db_task()
def message_letters_task(message_id: int):
    return message_letters(message_id=message_id)


@periodic_job("staffmail.letters_sweep", crontab(minute="*"), every=60)
def message_letters_sweep_job():
    message_letters_sweep()
