"""Internal mail's work after the commit: the letters to those who want them."""

from huey.contrib.djhuey import db_task

from .services import message_letters


@db_task()
def message_letters_task(message_id: int):
    return message_letters(message_id=message_id)
