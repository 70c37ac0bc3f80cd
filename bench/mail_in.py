"""Mail in: how many messages per second receive() stores on a generated desk.

    uv run python -m bench.mail_in --database-url postgres://postgres@127.0.0.1:5432/helpline_bench
    uv run python -m bench.mail_in --tickets 100000          # SQLite under var/bench/

A realistic mix goes through the same `receive()` that `helpline mail-in` and the poller call,
one transaction per message as in production: new requests from new senders, replies threaded
by In-Reply-To and by the reply token, replies from people who are not participants, automatic
replies, a few attachments; then the same messages delivered again (repeats). It writes into
the benchmark database (new requests and entries): use a generated one, never a real desk.
`--processes N` also times N runs of the `helpline mail-in` command itself (one process per
message, as an MTA's pipe transport runs it), whose figure is dominated by Python's start-up.
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage

from .environment import configure, default_database_url, migrate
from .run import RESULTS_DIR, percentile

MIX = {"new": 40, "reply_id": 25, "reply_token": 15, "stranger": 10, "auto_reply": 10}


def _message(kind: str, n: int, run_id: str, ticket, mailbox_address: str) -> bytes:
    from helpline.mail import threading

    msg = EmailMessage()
    msg["To"] = mailbox_address
    msg["Message-ID"] = f"<bench-{run_id}-{n}@client.example>"
    msg["Subject"] = f"Bench message {n}: the printer on floor {n % 9} jams"
    body = "Hello,\n\nthe printer jams on every second page since Monday.\n\nRegards\n" * 3
    if kind == "new":
        msg["From"] = f"Bench Sender {n} <bench-{run_id}-{n}@client.example>"
    elif kind == "stranger":
        msg["From"] = f"stranger-{run_id}-{n}@elsewhere.example"
        msg["In-Reply-To"] = threading.make_message_id(ticket)
    else:
        msg["From"] = ticket.requester.email
        if kind == "reply_token":
            msg.replace_header("To", threading.reply_address(mailbox_address, ticket.reply_token))
        else:
            msg["In-Reply-To"] = ticket.bench_ref
            msg["References"] = f"<older-{n}@client.example> {ticket.bench_ref}"
        if kind == "auto_reply":
            msg["Auto-Submitted"] = "auto-replied"
            msg.replace_header("Subject", "Out of office")
    msg.set_content(body)
    if n % 10 == 0:
        msg.add_attachment(
            b"%PDF-1.4\n" + b"x" * 20_000,
            maintype="application",
            subtype="pdf",
            filename=f"scan-{n}.pdf",
        )
    return msg.as_bytes()


def prepare(messages: int, seed: int = 1) -> tuple[list[bytes], object]:
    """The messages to deliver, and the mailbox; threads get a recorded Message-ID first."""
    from helpline.accounts.models import Department
    from helpline.mail import threading
    from helpline.mail.models import Mailbox
    from helpline.tickets.models import Ticket

    rng = random.Random(seed)
    department = Department.objects.filter(parent__isnull=True).order_by("pk").first()
    mailbox, _ = Mailbox.objects.get_or_create(
        name="Bench", defaults={"address": "help@bench.example", "department": department}
    )
    # Open requests of requesters (not staff): the newest, as answers mostly concern them.
    tickets = list(
        Ticket.objects.filter(
            status_category__in=["new", "open", "pending"],
            deleted_at__isnull=True,
            requester__role="requester",
            merged_into__isnull=True,
        )
        .select_related("requester")
        .order_by("-pk")[:300]
    )
    # One request per requester: the senders stay under the hourly limit, as real ones do.
    tickets = list({ticket.requester_id: ticket for ticket in tickets}.values())
    if not tickets:
        raise SystemExit("no open requests in this database: generate one with bench.generate")
    for ticket in tickets:
        ticket.bench_ref = threading.make_message_id(ticket, domain=mailbox.address)
        threading.message_ref_record(
            message_id=ticket.bench_ref, ticket=ticket, direction="out", mailbox=mailbox
        )
    run_id = datetime.now(UTC).strftime("%H%M%S%f")
    kinds = list(MIX)
    weights = list(MIX.values())
    raws = [
        _message(rng.choices(kinds, weights)[0], n, run_id, rng.choice(tickets), mailbox.address)
        for n in range(messages)
    ]
    return raws, mailbox


def deliver(raws: list[bytes], mailbox, profile: str = "") -> dict:
    from helpline.mail.ingest import receive

    outcomes: dict[str, int] = {}
    samples = []
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    for raw in raws:
        one = time.perf_counter()
        receipt = receive(raw, mailbox=mailbox)
        samples.append((time.perf_counter() - one) * 1000)
        outcomes[receipt.outcome] = outcomes.get(receipt.outcome, 0) + 1
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    return {
        "messages": len(raws),
        "seconds": round(seconds, 2),
        "per_second": round(len(raws) / seconds, 1),
        # This process's own CPU time (the database server's is not in it): the rate one
        # free core would give, on a machine shared with other work.
        "per_cpu_second": round(len(raws) / cpu, 1),
        "cpu_seconds": round(cpu, 3),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "outcomes": outcomes,
    }


def warm_up(mailbox, tag: str) -> None:
    """Two messages before the clock starts (a new request and an answer to it), so a process's
    first-use costs (imports, translations, compiled patterns, connections) are not timed."""
    from helpline.mail.ingest import receive

    first = EmailMessage()
    first["From"] = f"warm-{tag}@client.example"
    first["To"] = mailbox.address
    first["Message-ID"] = f"<warm-{tag}@client.example>"
    first["Subject"] = "Warming up"
    first.set_content("Warming up.\n")
    receive(first.as_bytes(), mailbox=mailbox)
    first.replace_header("Message-ID", f"<warm-{tag}-2@client.example>")
    first["In-Reply-To"] = f"<warm-{tag}@client.example>"
    receive(first.as_bytes(), mailbox=mailbox)


def _deliver_in_process(
    database_url: str, passes: list[list[bytes]], mailbox_id: int, barrier, results
) -> None:
    """One intake process of `deliver_concurrently` (spawned: a fresh interpreter, as an MTA's
    pipe or a second worker would be): warmed up, then each pass after the barrier."""
    configure(database_url)
    from helpline.mail.models import Mailbox

    mailbox = Mailbox.objects.get(pk=mailbox_id)
    warm_up(mailbox, f"{os.getpid()}-{time.time_ns()}")
    for number, raws in enumerate(passes):
        barrier.wait()
        started = time.time()
        try:
            result = deliver(raws, mailbox)
        except Exception as exc:  # noqa: BLE001 - reported by the parent, which must not hang
            results.put({"number": number, "error": f"{type(exc).__name__}: {exc}"})
            barrier.abort()
            return
        result.update(number=number, started=started, ended=time.time())
        results.put(result)


def deliver_concurrently(
    passes: list[list[bytes]], mailbox, database_url: str, processes: int
) -> list[dict]:
    """Each pass's messages shared out among `processes` intake processes (message i to
    process i mod N) that start it together: messages per second over the wall clock from the
    first start to the last end, and per CPU second over the processes' CPU time together."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    barrier = context.Barrier(processes)
    workers = [
        context.Process(
            target=_deliver_in_process,
            args=(
                database_url,
                [raws[index::processes] for raws in passes],
                mailbox.pk,
                barrier,
                results,
            ),
        )
        for index in range(processes)
    ]
    for worker in workers:
        worker.start()
    parts = []
    while len(parts) < processes * len(passes):
        part = results.get(timeout=3600)
        if "error" in part:
            for worker in workers:
                worker.terminate()
            raise SystemExit(f"an intake process failed: {part['error']}")
        parts.append(part)
    for worker in workers:
        worker.join()
    summaries = []
    for number, raws in enumerate(passes):
        mine = [part for part in parts if part["number"] == number]
        seconds = max(part["ended"] for part in mine) - min(part["started"] for part in mine)
        busy = sum(part["cpu_seconds"] for part in mine)
        outcomes: dict[str, int] = {}
        for part in mine:
            for outcome, count in part["outcomes"].items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
        summaries.append(
            {
                "processes": processes,
                "messages": len(raws),
                "seconds": round(seconds, 2),
                "per_second": round(len(raws) / seconds, 1),
                "per_cpu_second": round(len(raws) / busy, 1),
                "median_ms": round(statistics.median(part["median_ms"] for part in mine), 2),
                "p95_ms": round(max(part["p95_ms"] for part in mine), 2),
                "outcomes": outcomes,
            }
        )
    return summaries


def processes(raws: list[bytes], mailbox, database_url: str) -> dict:
    env = {**os.environ, "HELPLINE_DATABASE_URL": database_url}
    started = time.perf_counter()
    codes = []
    for raw in raws:
        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "helpline.config.cli", "mail-in", "--mailbox", mailbox.name],
            input=raw,
            env=env,
            capture_output=True,
            check=False,
        )
        codes.append(result.returncode)
    seconds = time.perf_counter() - started
    return {
        "messages": len(raws),
        "seconds": round(seconds, 2),
        "per_second": round(len(raws) / seconds, 2),
        "exit_codes": sorted(set(codes)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_in", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("HELPLINE_BENCH_DATABASE_URL", ""))
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="intake processes delivering at once (message i to process i mod N)",
    )
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument(
        "--profile", metavar="FILE", default="", help="cProfile the first pass into FILE"
    )
    args = parser.parse_args(argv)
    database_url = args.database_url or default_database_url(args.tickets)
    configure(database_url)
    migrate()
    from django.db import connection

    from helpline.tickets.models import Ticket

    if not Ticket.objects.exists():
        from .generate import generate

        print(f"the database has no tickets: generating {args.tickets:,} first")
        generate(tickets=args.tickets)
    tickets = Ticket.objects.count()
    raws, mailbox = prepare(args.messages)
    repeats = raws[: max(1, len(raws) // 5)]
    if args.concurrency > 1:
        first, again = deliver_concurrently(
            [raws, repeats], mailbox, database_url, args.concurrency
        )
    else:
        warm_up(mailbox, f"{os.getpid()}-{time.time_ns()}")
        first = deliver(raws, mailbox, profile=args.profile)
        again = deliver(repeats, mailbox)
    document = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "tickets": tickets,
            "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
            "load_average": round(os.getloadavg()[0], 2),
            "concurrency": args.concurrency,
        },
        "receive": first,
        "repeats": again,
    }
    if args.processes:
        extra, _mailbox = prepare(args.processes, seed=2)
        document["mail_in_command"] = processes(extra, mailbox, database_url)
    print(
        f"{connection.vendor}, {tickets:,} tickets (load {document['meta']['load_average']}, "
        f"{args.concurrency} intake process{'es' if args.concurrency > 1 else ''}): "
        f"receive() {first['per_second']} messages/s, {first['per_cpu_second']} per CPU second "
        f"(median {first['median_ms']} ms, "
        f"p95 {first['p95_ms']} ms; {first['outcomes']}); repeats {again['per_second']}/s"
    )
    if args.processes:
        command = document["mail_in_command"]
        print(f"helpline mail-in, one process per message: {command['per_second']} messages/s")
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = (
            RESULTS_DIR / f"{document['meta']['date'][:10]}-{connection.vendor}-{tickets}-mail-in"
            f"{'-x' + str(args.concurrency) if args.concurrency > 1 else ''}.json"
        )
        path.write_text(json.dumps(document, indent=1) + "\n")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
