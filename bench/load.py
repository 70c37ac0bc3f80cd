"""Load through the real server: `helpline serve` under a few concurrent HTTP clients.

    uv run python -m bench.load --database-url postgres://postgres@127.0.0.1:5432/helpline_bench

Starts `helpline serve` (production settings, `--workers 2`, no background worker) on a free port
against a generated benchmark database, then runs each scenario for `--seconds` with
`--clients` concurrent clients, each a keep-alive connection that sends its next request as
soon as the last one is answered: requests per second and the client's latency (median, p95).
The clients are threads of this process and share the machine with the server: on a 2-core
machine they take some of the cores the figures are about, as a browser on the same machine
would.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from . import serve_timed
from .environment import configure, default_database_url, migrate
from .run import RESULTS_DIR, _meta, percentile

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The reply form's hidden fields: the version and newest entry the page showed (the browser
# sends them back, and app.js moves them on from each answer's `hl-ticket-version` event).
REPLY_INPUT = re.compile(r'name="(version|seen)" value="(\d+)" id="reply-')
NUMBER_SEGMENT = re.compile(r"/\d+/")
SCENARIOS = ("portal.submit", "desk.reply", "desk.board", "desk.ticket")


class Session:
    """One client: a keep-alive connection with its cookies, like one browser tab."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.csrf = ""
        self.headers: http.client.HTTPMessage | None = None

    def request(self, method: str, path: str, body: dict | None = None, htmx: bool = False):
        headers = {"Host": "localhost", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            headers["HX-Request"] = "true"
        payload = None
        if body is not None:
            payload = urlencode({**body, "csrfmiddlewaretoken": self.csrf}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, OSError):
                # The server closed the idle keep-alive connection: open another once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        self.headers = response.headers
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content

    def load_csrf(self, path: str) -> str:
        status, content = self.request("GET", path)
        page = content.decode()
        found = CSRF_INPUT.search(page)
        if status != 200 or not found:
            raise RuntimeError(f"GET {path} answered {status} without a CSRF token")
        self.csrf = found.group(1)
        return page


@dataclass
class Scenario:
    key: str
    title: str
    # Per client: (session, the step that sends one request and returns its status).
    make: object
    expect: int
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"helpline serve ended with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": "localhost"})
            if connection.getresponse().status in (200, 503):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("helpline serve did not answer in time")


def _session_cookie(user) -> dict[str, str]:
    """A signed-in session for `user`, made the way the test client's force_login makes it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def scenarios(people: dict, clients: int, port: int) -> list[Scenario]:
    from helpline.core.submissions import submission_key_new

    from .cases import _long_thread, probe_requester, probe_ticket

    dispatcher, supervisor, requester = (
        people["dispatcher"],
        people["supervisor"],
        people["requester"],
    )
    from helpline.tickets.models import Ticket

    probe_for = probe_requester(people)
    long_id = _long_thread(
        list(Ticket.objects.filter(requester=requester).values_list("pk", flat=True))
    )
    staff_cookie = _session_cookie(dispatcher)
    supervisor_cookie = _session_cookie(supervisor)
    counter = iter(range(10**9))
    lock = threading.Lock()

    def next_n() -> int:
        with lock:
            return next(counter)

    topic = _topic()  # once: the client threads do HTTP only

    def portal(_n: int):
        session = Session(port)
        session.load_csrf("/requests/new/")

        def step():
            n = next_n()
            status, _body = session.request(
                "POST",
                "/requests/new/",
                {
                    "submission": submission_key_new(),
                    "name": "Load Visitor",
                    "email": f"load-{submission_key_new()[:10].lower()}-{n}@visitors.example",
                    "website": "",
                    "ticket_class": "incident",
                    "subject": f"Load submission {n}: the printer jams",
                    "description": "It stopped after lunch; the display says paper jam.",
                    **topic,
                },
            )
            return status

        return step

    def reply(_n: int):
        # One probe request per client: agents reply on different requests at once.
        ticket = probe_ticket(dispatcher, probe_for, entries=20)
        session = Session(port, staff_cookie)
        shown = dict(REPLY_INPUT.findall(session.load_csrf(f"/desk/tickets/{ticket.pk}/")))

        def step():
            status, _body = session.request(
                "POST",
                f"/desk/tickets/{ticket.pk}/reply/",
                {
                    "submission": submission_key_new(),
                    "version": shown["version"],
                    "seen": shown["seen"],
                    "body": "Thank you, we have ordered a new fuser unit.",
                    "status": "",
                },
                htmx=True,
            )
            # What app.js does with the answer: the form now shows the new version.
            trigger = session.headers.get("HX-Trigger") if session.headers else None
            moved = json.loads(trigger).get("hl-ticket-version") if trigger else None
            if moved:
                shown["version"], shown["seen"] = str(moved["version"]), str(moved["seen"])
            return status

        return step

    def getter(path: str, cookie: dict):
        def make(_n: int):
            session = Session(port, cookie)

            def step():
                return session.request("GET", path)[0]

            return step

        return make

    return [
        Scenario(
            "portal.submit", "Portal submission, anonymous, new requester", portal, expect=302
        ),
        Scenario("desk.reply", "Staff reply (htmx), 20-entry thread and growing", reply, 200),
        Scenario("desk.board", "Board, dispatcher, all open", getter("/desk/", staff_cookie), 200),
        Scenario(
            "desk.ticket",
            "Ticket page, 50 entries (supervisor)",
            getter(f"/desk/tickets/{long_id}/", supervisor_cookie),
            200,
        ),
    ]


def _topic() -> dict:
    from .cases import _topic as topic

    return topic()


def drive(scenario: Scenario, clients: int, seconds: float, warm_up: int = 3) -> dict:
    steps = [scenario.make(n) for n in range(clients)]
    for step in steps:
        for _run in range(warm_up):
            step()
    stop = threading.Event()

    def loop(step):
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status = step()
            except Exception as exc:  # noqa: BLE001 (counted and reported)
                scenario.errors.append(repr(exc))
                continue
            took = (time.perf_counter() - started) * 1000
            if status != scenario.expect:
                scenario.errors.append(f"status {status}")
            else:
                scenario.samples.append(took)

    threads = [threading.Thread(target=loop, args=(step,)) for step in steps]
    started_at = time.time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    samples = scenario.samples
    return {
        "key": scenario.key,
        "title": scenario.title,
        "started_at": started_at,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(samples),
        "errors": len(scenario.errors),
        "first_errors": scenario.errors[:3],
        "per_second": round(len(samples) / elapsed, 1),
        "median_ms": round(statistics.median(samples), 1) if samples else None,
        "p95_ms": round(percentile(samples, 0.95), 1) if samples else None,
    }


def server_timing(folder: Path, since: float) -> dict:
    """The scenario's own requests as the web workers timed them (bench.serve_timed)."""
    found = serve_timed.records(folder, since)

    def kind(record: dict) -> str:
        return f"{record['method']} {NUMBER_SEGMENT.sub('/N/', record['path'])}"

    counts: dict[str, int] = {}
    for record in found:
        counts[kind(record)] = counts.get(kind(record), 0) + 1
    if not counts:
        return {}
    request = max(counts, key=counts.__getitem__)
    mine = [record for record in found if kind(record) == request]
    workers: dict[int, int] = {}
    for record in mine:
        workers[record["pid"]] = workers.get(record["pid"], 0) + 1

    def median(field: str) -> float:
        return round(statistics.median(record[field] for record in mine), 1)

    def mean(field: str) -> float:
        return round(statistics.fmean(record[field] for record in mine), 1)

    return {
        "request": request,
        "requests": len(mine),
        "cpu_ms": median("cpu"),
        "wall_ms": median("wall"),
        "lock_wait_ms": mean("wait"),
        "lock_hold_ms": mean("hold"),
        "lock_hold_cpu_ms": mean("hold_cpu"),
        "connects": mean("connects"),
        "per_worker": sorted(workers.values(), reverse=True),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("HELPLINE_BENCH_DATABASE_URL", ""))
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="web worker processes (2)")
    parser.add_argument(
        "--threads", type=int, default=None, help="threads per worker (serve's default)"
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--seconds", type=float, default=10, help="per scenario (10)")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument(
        "--timing",
        action="store_true",
        help="time each request inside the web workers too (bench.serve_timed)",
    )
    args = parser.parse_args(argv)

    database_url = args.database_url or default_database_url(args.tickets)
    configure(database_url)
    migrate()
    from .cases import personas, write_cases
    from .desk import addresses_fill

    addresses_fill()
    people = personas()
    write_cases(people)  # switches anonymous submission on, as the write cases need it
    port = _free_port()
    env = {**os.environ, "HELPLINE_DATABASE_URL": database_url}
    timing_dir = Path(tempfile.mkdtemp(prefix="helpline-timing-")) if args.timing else None
    if timing_dir is not None:
        env[serve_timed.TIMING_DIR_VARIABLE] = str(timing_dir)
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [
            sys.executable,
            "-m",
            "bench.serve_timed" if args.timing else "helpline.config.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-worker",
            "--no-migrate",
            *(["--threads", str(args.threads)] if args.threads else []),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server_options = {"workers": args.workers, "threads": args.threads}
    document = {"meta": _meta(0), "server": server_options, "scenarios": []}
    document["meta"].pop("repeats", None)
    try:
        _wait_ready(port, server)
        only = [part for part in args.only.split(",") if part]
        for scenario in scenarios(people, args.clients, port):
            if only and scenario.key not in only:
                continue
            result = drive(scenario, args.clients, args.seconds)
            if timing_dir is not None:
                result["server"] = server_timing(timing_dir, result.pop("started_at"))
            else:
                result.pop("started_at")
            document["scenarios"].append(result)
            print(
                f"  {result['key']:<16} {result['per_second']:>7.1f} req/s  "
                f"median {result['median_ms']} ms  p95 {result['p95_ms']} ms  "
                f"({result['requests']} requests, {result['errors']} errors"
                f"{': ' + result['first_errors'][0] if result['first_errors'] else ''})",
                flush=True,
            )
            if "server" in result:
                timing = result["server"]
                print(
                    f"  {'':<16} in the server: {timing['request']}, CPU {timing['cpu_ms']} ms, "
                    f"wall {timing['wall_ms']} ms (medians); write lock: waited "
                    f"{timing['lock_wait_ms']} ms, held {timing['lock_hold_ms']} ms with "
                    f"{timing['lock_hold_cpu_ms']} ms CPU (means); connections opened "
                    f"{timing['connects']} per request; requests per worker "
                    f"{'/'.join(str(n) for n in timing['per_worker'])}",
                    flush=True,
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if timing_dir is not None:
            shutil.rmtree(timing_dir, ignore_errors=True)
    meta = document["meta"]
    print(
        f"{meta['database']} {meta['tickets']:,} tickets, helpline serve --workers "
        f"{args.workers}{f' --threads {args.threads}' if args.threads else ''}, "
        f"{args.clients} clients, {args.seconds:g} s per scenario, "
        f"load average {meta['load_average']} at the start ({meta['date']})"
    )
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        size = (
            int(float(f"{meta['tickets']:.2g}")) if meta["tickets"] >= 10_000 else meta["tickets"]
        )
        path = RESULTS_DIR / f"{meta['date'][:10]}-serve-{meta['database']}-{size}.json"
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
