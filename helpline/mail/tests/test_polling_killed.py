"""The poller killed with SIGKILL at many points of a batch (during the IMAP conversation,
parsing, the ticket services, the commit, the delete on the server) and run again: every
message ends as exactly one entry and nothing stays on the server."""

import subprocess
import sys

import pytest

from helpline.mail.models import Mailbox, MailMessage
from helpline.tickets.models import Ticket

from .messages import mail
from .processes import process_env

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Polls the mailbox named argv[1] once; with argv[2] = K > 0 it SIGKILLs itself at the K-th
# Python call made in Helpline's code, Django's database code or imaplib.
POLLER = r"""
import imaplib, os, signal, sys
from pathlib import Path
import django
django.setup()
from helpline.mail.models import Mailbox
from helpline.mail.polling import mailbox_poll

name, kill_at = sys.argv[1], int(sys.argv[2])
roots = (
    str(Path(__import__("helpline").__file__).parent),
    str(Path(django.__file__).parent / "db"),
    imaplib.__file__,
)
count = 0

def profile(frame, event, arg):
    global count
    if event == "call" and frame.f_code.co_filename.startswith(roots):
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

mailbox = Mailbox.objects.get(name=name)
if kill_at:
    sys.setprofile(profile)
report = mailbox_poll(mailbox=mailbox)
sys.setprofile(None)
print("report", report.fetched, repr(report.error), flush=True)
print("calls", count, flush=True)
"""


def poll(name: str, kill_at: int, cafile: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", POLLER, name, str(kill_at)],
        env=process_env(HELPLINE_MAIL_CA_FILE=cafile, HELPLINE_MAIL_TIMEOUT="10"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def setup_mailbox(dovecot, support, name: str, count: int):
    account = dovecot.account()
    for number in range(count):
        account.deliver(mail(subject=f"{name} message {number}", to=account.address))
    mailbox = Mailbox.objects.create(
        name=name,
        address=account.address,
        department=support,
        protocol="imap",
        host=dovecot.host,
        port=dovecot.imaps_port,
        username=account.username,
        password=account.password,
    )
    return account, mailbox


def test_killed_at_many_points_loses_nothing_and_stores_nothing_twice(dovecot, support):
    count = 3
    # A first pass registers the sender, which the passes below need not do again
    _account, _mailbox = setup_mailbox(dovecot, support, "warm-up", count)
    assert poll("warm-up", 10**9, dovecot.cafile).returncode == 0
    # How many calls one whole pass makes (a pass that is never killed)
    account, _mailbox = setup_mailbox(dovecot, support, "calibrate", count)
    done = poll("calibrate", 10**9, dovecot.cafile)
    assert done.returncode == 0, done.stderr[-3000:]
    total = int(done.stdout.split("calls ")[1])
    assert account.messages() == [] and total > 1000
    # (A pass makes a few per cent fewer calls than the calibration, which fills caches.)
    points = sorted({int(total * share) for share in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9)})
    for point in points:
        name = f"killed-at-{point}"
        account, mailbox = setup_mailbox(dovecot, support, name, count)
        # Given a poller killed at this point
        killed = poll(name, point, dovecot.cafile)
        assert killed.returncode == -9, (point, total, killed.stdout, killed.stderr[-2000:])
        # When it runs again (after its lease would have expired)
        Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=None)
        again = poll(name, 0, dovecot.cafile)
        assert again.returncode == 0, again.stderr[-3000:]
        # Then each message is one entry, in one request, and the server is empty
        subjects = sorted(
            MailMessage.objects.filter(mailbox=mailbox).values_list("subject", flat=True)
        )
        assert subjects == [f"{name} message {n}" for n in range(count)], (point, again.stdout)
        assert Ticket.objects.filter(subject__startswith=f"{name} ").count() == count
        assert account.messages() == [], point
