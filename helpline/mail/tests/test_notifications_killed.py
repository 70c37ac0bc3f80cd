"""A worker writing letters killed (SIGKILL) at many points and run again: every letter is
queued exactly once, none is lost (the letters and the notification's state commit together)."""

import subprocess
import sys

import pytest

from helpline.accounts.models import StaffNotice
from helpline.mail.models import MessageRef, Notification, OutboxMessage
from helpline.tickets.models import Channel
from helpline.tickets.services import ticket_create, ticket_reply_add

from .processes import process_env

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Runs the sweep over every pending notification; with a kill point K > 0 it SIGKILLs itself at
# the K-th Python call made in Helpline's mail code or Django's database code.
DRIVER = r"""
import os, signal, sys
from pathlib import Path
import django
django.setup()
from helpline.mail import notifications
kill_at = int(sys.argv[1])
roots = (str(Path(notifications.__file__).parent), str(Path(django.__file__).parent / "db"))
count = 0

def profile(frame, event, arg):
    global count
    if event == "call" and frame.f_code.co_filename.startswith(roots):
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

if kill_at:
    sys.setprofile(profile)
done = notifications.notifications_sweep(older_than_seconds=0)
sys.setprofile(None)
print("swept", done, "calls", count, flush=True)
"""


def sweep(kill_at: int = 0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, str(kill_at)],
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )


def start_over() -> None:
    """As if no worker had picked the notifications up yet (the test's own commits ran them)."""
    Notification.objects.update(state=Notification.State.PENDING, outcome=[], attempts=0)
    OutboxMessage.objects.all().delete()
    MessageRef.objects.filter(direction="out").delete()


def assert_every_letter_once(expected: int) -> None:
    assert not Notification.objects.exclude(state=Notification.State.DONE).exists()
    letters = list(OutboxMessage.objects.values_list("rate_key", "subject"))
    assert len(letters) == expected, letters
    assert len(set(letters)) == expected  # no letter twice
    assert MessageRef.objects.filter(direction="out").count() == expected


def test_killed_at_many_points_queues_every_letter_once(requester_a, support, dispatcher):
    dispatcher.staff_notices = [StaffNotice.NEW_IN_DEPARTMENT, StaffNotice.REQUESTER_REPLIED]
    dispatcher.save()
    tickets = [
        ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=f"Request {n}",
            body="x",
            channel=Channel.EMAIL,
            department=support,
        )
        for n in range(3)
    ]
    for ticket in tickets:
        ticket_reply_add(ticket=ticket, actor=dispatcher, body=f"Answer on {ticket.pk}")
    # received + new-in-department for each, and the agent's reply
    expected = 3 * 3
    start_over()
    calibrate = sweep(10**9)
    assert calibrate.returncode == 0, calibrate.stderr[-2000:]
    assert_every_letter_once(expected)
    total = int(calibrate.stdout.split()[-1])
    killed = 0
    points = [max(1, total * n // 6) for n in range(1, 6)]
    for point in points:
        start_over()
        # killed somewhere in the batch
        first = sweep(point)
        killed += first.returncode == -9
        # and the next run finishes the work
        second = sweep()
        assert second.returncode == 0, second.stderr[-2000:]
        assert_every_letter_once(expected)
    assert killed == len(points)
