"""Real processes on the test database: `helpline mail-in`, and a delivery loop that can be
killed (SIGKILL) at a chosen point and run again, as an MTA or the poller would."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

# Delivers every *.eml in a spool directory in name order, deleting each file only after
# receive() returned (as the poller deletes on the server only after the commit). With a kill
# point K > 0 it SIGKILLs itself at the K-th Python call made in Helpline's or Django's
# database code, which lands anywhere: parsing, the ticket services, the storage write, the
# commit. Mode "kill-before-delete:N" kills it after the N-th message is committed and before
# its file is deleted.
DRIVER = r"""
import os, signal, sys, threading, time
from pathlib import Path
import django
django.setup()
from django.db import close_old_connections
from helpline.mail import ingest
from helpline.mail.models import Mailbox

spool, kill_at, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
start_at = float(sys.argv[4]) if len(sys.argv) > 4 else 0
if mode == "no-lock":
    ingest._serialise = lambda *args: None
mailbox = Mailbox.objects.filter(name="Help").first()
roots = (str(Path(ingest.__file__).parents[1]), str(Path(django.__file__).parent / "db"))
count = 0

def profile(frame, event, arg):
    global count
    if event == "call" and frame.f_code.co_filename.startswith(roots):
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

paths = sorted(spool.glob("*.eml"))
if start_at:
    while time.time() < start_at:
        time.sleep(0.001)
if kill_at:
    sys.setprofile(profile)
for number, path in enumerate(paths, 1):
    receipt = ingest.receive(path.read_bytes(), mailbox=mailbox)
    if mode == f"kill-before-delete:{number}":
        # committed, not yet deleted from the spool: the redelivery must be recognised
        os.kill(os.getpid(), signal.SIGKILL)
    path.unlink()
    print(receipt.outcome, receipt.ticket.pk if receipt.ticket else "-", flush=True)
sys.setprofile(None)
print("calls", count, flush=True)
"""


def database_url() -> str:
    """The test database, for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HELPLINE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="helpline.config.settings",
        HELPLINE_DATA_DIR=str(settings.DATA_DIR),
        HELPLINE_DATABASE_URL=database_url(),
        HELPLINE_DATABASE_POOL="0",
        HELPLINE_TASKS_IMMEDIATE="0",
        HELPLINE_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.update(extra)
    return env


def mail_in(raw: bytes, *args: str, timeout: float = 120, **env: str):
    return subprocess.run(
        [sys.executable, "-m", "helpline.config.cli", "mail-in", *args],
        input=raw,
        env=process_env(**env),
        capture_output=True,
        timeout=timeout,
    )


def driver(spool: Path, kill_at: int = 0, mode: str = "delete", start_at: float = 0):
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(spool), str(kill_at), mode, str(start_at)],
        env=process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
