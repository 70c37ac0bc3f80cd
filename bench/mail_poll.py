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


def _settings_for(cafile: str) -> None:
    from django.conf import settings

    settings.MAIL_TLS_CA_FILE = cafile
    settings.MAIL_POLL_BATCH = 10_000


def poll_until_empty(mailbox) -> dict:
    """Poll `mailbox` until a pass fetches nothing: the wall clock and this process's CPU,
    and the time spent inside receive() (the ingestion) apart from the poll around it."""
    from helpline.mail import ingest
    from helpline.mail.polling import mailbox_poll

    real_receive, in_receive = ingest.receive, [0.0]

    def timed_receive(raw, **kwargs):
        start = time.perf_counter()
        try:
            return real_receive(raw, **kwargs)
        finally:
            in_receive[0] += time.perf_counter() - start

    ingest.receive = timed_receive
    started, cpu = time.time(), time.process_time()
    fetched, outcomes = 0, {}
    try:
        while True:
            report = mailbox_poll(mailbox=mailbox)
            if report.error:
                raise SystemExit(f"poll failed: {report.error}")
            fetched += report.fetched
            for outcome, count in report.outcomes.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
            if not report.fetched:
                break
    finally:
        ingest.receive = real_receive
    return {
        "fetched": fetched,
        "outcomes": outcomes,
        "started": started,
        "ended": time.time(),
        "cpu": time.process_time() - cpu,
        "in_receive": in_receive[0],
    }


def _poll_in_process(url: str, mailbox_id: int, cafile: str, barrier, results) -> None:
    configure(url)
    _settings_for(cafile)
    from helpline.mail import ingest  # noqa: F401 - imported before the clock starts
    from helpline.mail.models import Mailbox

    mailbox = Mailbox.objects.get(pk=mailbox_id)
    barrier.wait()
    results.put(poll_until_empty(mailbox))


def _poll_in_processes(url: str, mailboxes: list, cafile: str) -> list[dict]:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results, barrier = context.Queue(), context.Barrier(len(mailboxes))
    workers = [
        context.Process(target=_poll_in_process, args=(url, mailbox.pk, cafile, barrier, results))
        for mailbox in mailboxes
    ]
    for worker in workers:
        worker.start()
    parts = [results.get(timeout=3600) for _worker in workers]
    for worker in workers:
        worker.join()
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="mailboxes polled at once, each by its own process (as N `helpline worker`s do)",
    )
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url(args.tickets)
    configure(url)

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
    from helpline.mail.tests.dovecot import dovecot_running

    tickets_before = Ticket.objects.count()
    run = datetime.now(UTC).strftime("%H%M%S")
    raws = _messages(args.messages, run)
    half = (len(raws) + 1) // 2
    with dovecot_running("http://127.0.0.1:9/") as dovecot:
        mailboxes, accounts = [], []
        for number in range(args.processes):
            account = dovecot.account()
            client = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=30)
            client.login(account.username, account.password)
            # A request and the answer to it go to the same mailbox, the mailboxes in turn.
            for index, raw in enumerate(raws):
                if (index % half) % args.processes == number:
                    client.append("INBOX", None, None, raw)
            client.logout()
            accounts.append(account)
            mailboxes.append(
                Mailbox.objects.update_or_create(
                    name=f"bench-{run}-{number}",
                    defaults={
                        "address": f"help-{run}-{number}@desk.test",
                        "department": Department.objects.order_by("pk").first(),
                        "protocol": Mailbox.Protocol.IMAP,
                        "host": dovecot.host,
                        "port": dovecot.imaps_port,
                        "security": Mailbox.Security.TLS,
                        "username": account.username,
                        "password": account.password,
                    },
                )[0]
            )
        if args.processes == 1:
            _settings_for(dovecot.cafile)
            parts = [poll_until_empty(mailboxes[0])]
        else:
            parts = _poll_in_processes(url, mailboxes, dovecot.cafile)
        left = sum(len(account.messages()) for account in accounts)
    elapsed = max(part["ended"] for part in parts) - min(part["started"] for part in parts)
    cpu = sum(part["cpu"] for part in parts)
    # Each process's own time polling (its wall clock), summed.
    polling = sum(part["ended"] - part["started"] for part in parts)
    fetched = sum(part["fetched"] for part in parts)
    in_receive = sum(part["in_receive"] for part in parts)
    outcomes: dict[str, int] = {}
    for part in parts:
        for outcome, count in part["outcomes"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
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
        "processes": args.processes,
        # Summed over the processes (each polls its own mailbox).
        "seconds_in_receive": round(in_receive, 2),
        "poll_overhead_ms_per_message": round((polling - in_receive) * 1000 / fetched, 1)
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
        name = f"{datetime.now(UTC):%Y-%m-%d}-mailpoll-{vendor}-{args.tickets}"
        name += f"-x{args.processes}.json" if args.processes > 1 else ".json"
        (RESULTS_DIR / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if fetched == len(raws) and not left else 1


if __name__ == "__main__":
    sys.exit(main())
