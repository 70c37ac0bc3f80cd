"""Time IMAP polling: messages per second from a real Dovecot into a generated desk.

    uv run python -m bench.mail_poll --tickets 100000 --messages 1000
    uv run python -m bench.mail_poll --database-url postgres://…/helpline_bench --messages 1000

A Dovecot is started unprivileged on loopback (as the tests do), `--messages` messages are put
in its inbox — half new requests from new senders, half answers to those requests (threaded by
In-Reply-To) — and one IMAP mailbox is polled until the inbox is empty: fetch, `receive()`
(parse, thread, store the request or reply, the raw message, the Message-ID), delete on the
server after the commit. The figure is messages per second over the whole run; the generated
desk gives the database its realistic size. The messages stay in the database afterwards.
"""

import argparse
import imaplib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from .environment import configure, default_database_url, migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _messages(count: int, run: str) -> list[bytes]:
    now = format_datetime(datetime.now(UTC))
    originals, raws = [], []
    for number in range(count):
        message = EmailMessage()
        first = number < (count + 1) // 2
        index = number if first else number - (count + 1) // 2
        message["From"] = f"Client {index} <client{index}-{run}@bench.test>"
        message["To"] = "help@desk.test"
        message["Date"] = now
        message["Message-ID"] = make_msgid(domain="bench.test")
        if first:
            message["Subject"] = f"Printer {index} does not print"
            message.set_content(f"Printer {index} on floor {index % 9} shows error E{index}.\n")
            originals.append(message["Message-ID"])
        else:
            message["Subject"] = f"Re: Printer {index} does not print"
            message["In-Reply-To"] = message["References"] = originals[index]
            message.set_content("It happens again this morning.\n\n> shows an error\n")
        raws.append(message.as_bytes())
    return raws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url(args.tickets)
    configure(url)
    from django.conf import settings

    from helpline.tickets.models import Ticket

    migrate()
    if not Ticket.objects.exists():
        subprocess.run(  # noqa: S603 - our own generator
            [sys.executable, "-m", "bench.generate", "--tickets", str(args.tickets)]
            + ["--database-url", url],
            check=True,
        )
    from helpline.accounts.models import Department
    from helpline.mail.models import Mailbox
    from helpline.mail.polling import mailbox_poll
    from helpline.mail.tests.dovecot import dovecot_running

    tickets_before = Ticket.objects.count()
    run = datetime.now(UTC).strftime("%H%M%S")
    raws = _messages(args.messages, run)
    with dovecot_running("http://127.0.0.1:9/") as dovecot:
        account = dovecot.account()
        client = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=30)
        client.login(account.username, account.password)
        for raw in raws:
            client.append("INBOX", None, None, raw)
        client.logout()
        settings.MAIL_TLS_CA_FILE = dovecot.cafile
        settings.MAIL_POLL_BATCH = 10_000
        mailbox, _created = Mailbox.objects.update_or_create(
            name=f"bench-{run}",
            defaults={
                "address": f"help-{run}@desk.test",
                "department": Department.objects.order_by("pk").first(),
                "protocol": Mailbox.Protocol.IMAP,
                "host": dovecot.host,
                "port": dovecot.imaps_port,
                "security": Mailbox.Security.TLS,
                "username": account.username,
                "password": account.password,
            },
        )
        # Time spent in receive() (parsing, threading, storing: the ingestion's own figure)
        # apart from the poll around it (IMAP, bookkeeping).
        from helpline.mail import ingest

        real_receive, in_receive = ingest.receive, [0.0]

        def timed_receive(raw, **kwargs):
            start = time.perf_counter()
            try:
                return real_receive(raw, **kwargs)
            finally:
                in_receive[0] += time.perf_counter() - start

        ingest.receive = timed_receive
        started, cpu = time.perf_counter(), time.process_time()
        fetched, outcomes = 0, {}
        while True:
            report = mailbox_poll(mailbox=mailbox)
            if report.error:
                raise SystemExit(f"poll failed: {report.error}")
            fetched += report.fetched
            for outcome, count in report.outcomes.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
            if not report.fetched:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        left = len(account.messages())
    vendor = "postgresql" if url.startswith("postgres") else "sqlite"
    result = {
        "database": vendor,
        "tickets_before": tickets_before,
        "messages": fetched,
        "outcomes": outcomes,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(fetched / elapsed, 1) if elapsed else None,
        # This process's own CPU time (not the database's nor Dovecot's): the rate one free
        # core would give the poller, on a machine shared with other work.
        "per_cpu_second": round(fetched / cpu, 1) if cpu else None,
        "seconds_in_receive": round(in_receive[0], 2),
        "poll_overhead_ms_per_message": round((elapsed - in_receive[0]) * 1000 / fetched, 1)
        if fetched
        else None,
        "load_average": os.getloadavg()[0],
        "left_on_server": left,
        "machine": platform.platform(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = f"{datetime.now(UTC):%Y-%m-%d}-mailpoll-{vendor}-{args.tickets}.json"
        (RESULTS_DIR / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if fetched == len(raws) and not left else 1


if __name__ == "__main__":
    sys.exit(main())
