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


@db_task()
def mailbox_poll_task(mailbox_id: int):
    from .polling import mailbox_poll_by_id

    return mailbox_poll_by_id(mailbox_id)


@periodic_job("mail.mailboxes_poll", crontab(minute="*"), every=60)
def mailboxes_poll_job():
    """Each due mailbox is its own task: a slow or hanging server holds up only itself (its
    lease keeps the next minute's task from polling it twice)."""
    from .polling import mailboxes_due

    for mailbox_id in mailboxes_due():
        mailbox_poll_task(mailbox_id)


@db_task()
def notification_send(notification_id: int):
    from .notifications import notification_process

    return notification_process(notification_id=notification_id)


@db_task()
def notifications_send(notification_ids: list[int]):
    """The notifications one transaction recorded together (the mail poller's batch)."""
    from .notifications import notification_process

    return [notification_process(notification_id=pk) for pk in notification_ids]


@periodic_job("mail.notifications_sweep", crontab(minute="*"), every=60)
def notifications_sweep_job():
    from .notifications import notifications_sweep

    notifications_sweep()
