"""Several workers writing letters at once: the hourly limit per recipient holds, and a
notification is written once however many workers pick it up (SQLite and PostgreSQL)."""

import pytest

from helpline.core.tests.threads import run_together
from helpline.mail.models import Notification, OutboxMessage
from helpline.mail.notifications import notification_process
from helpline.tickets.models import Channel
from helpline.tickets.services import ticket_create

threaded = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def open_requests(requester, department, count: int) -> list[int]:
    for n in range(count):
        ticket_create(
            actor=requester,
            requester=requester,
            subject=f"Loop {n}",
            body="x",
            channel=Channel.EMAIL,
            department=department,
        )
    # Without a test transaction the tasks ran at each commit (immediate mode): start over, as
    # if the worker had not picked them up yet.
    Notification.objects.update(state=Notification.State.PENDING, outcome=[], attempts=0)
    OutboxMessage.objects.all().delete()
    return list(Notification.objects.order_by("pk").values_list("pk", flat=True))


@threaded
def test_parallel_workers_never_pass_the_hourly_limit(requester_a, support, settings):
    settings.MAIL_AUTO_PER_HOUR = 3
    pending = open_requests(requester_a, support, 8)
    outcomes = run_together(
        *[lambda pk=pk: notification_process(notification_id=pk) for pk in pending],
        hold_locks=0.05,
    )
    assert [o.error for o in outcomes] == [None] * len(pending)
    assert OutboxMessage.objects.filter(rate_key=requester_a.email).count() == 3
    assert not Notification.objects.filter(state=Notification.State.PENDING).exists()


@threaded
def test_one_notification_taken_by_several_workers_is_written_once(requester_a, support):
    (pk,) = open_requests(requester_a, support, 1)
    outcomes = run_together(*[lambda: notification_process(notification_id=pk)] * 4)
    assert sorted(o.value for o in outcomes) == ["done", "skipped", "skipped", "skipped"]
    assert OutboxMessage.objects.count() == 1
