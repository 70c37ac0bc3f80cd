"""Time the desk on a generated database: pages through the test client, selectors directly.

    ./dev bench --database-url postgres://postgres@127.0.0.1:5432/helpline_bench --check

Every case is run a few times to warm up, once to count its SQL queries (and explain the board's
queries), then `--repeats` times for the figures: median and 95th percentile in milliseconds.
Results print as a table and are written to bench/results/<date>-<database>-<tickets>.json;
`--check` compares them with bench/thresholds.toml and exits 1 when one is exceeded.
"""

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from .environment import configure, default_database_url, migrate

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
THRESHOLDS = BENCH_DIR / "thresholds.toml"
WARM_UP = 2


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value at least `share` of the runs do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _figures(samples: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
    }


def _timed(call, repeats: int, prepare=None, cpu: list[float] | None = None) -> list[float]:
    """Time `call` `repeats` times; `prepare` (untimed) makes each call's argument. With `cpu`,
    the process's CPU time of each call is appended to it: unlike the wall-clock time it hardly
    moves when other work shares the cores (but leaves out PostgreSQL's own processes)."""
    samples = []
    gc.collect()
    for _run in range(repeats):
        argument = prepare() if prepare is not None else None
        started, started_cpu = time.perf_counter(), time.process_time()
        call(argument)
        samples.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    return samples


def measure(case, user, client, *, repeats: int, explain: bool, warm_up: int = WARM_UP) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.desk.selectors import view_counts_forget

    from .plans import explain as plan_of
    from .plans import touches_tickets

    headers = {"HX-Request": "true"} if case.htmx else {}

    def request(data=None):
        if case.data is not None:
            response = client.post(case.url, data=data, headers=headers)
        else:
            response = client.get(case.url, headers=headers)
        if response.status_code != case.expect:
            raise RuntimeError(
                f"{case.key}: {case.method} {case.url} answered {response.status_code}, "
                f"not {case.expect}"
            )
        return response

    result = {"key": case.key, "title": case.title, "persona": case.persona, "url": case.url}
    if case.data is not None:
        result["method"] = "POST"
    if case.note:
        result["note"] = case.note
    call = request if case.url else (lambda _data=None: case.selector(user))
    prepare = case.data

    def once():
        return call(prepare() if prepare is not None else None)

    for _run in range(warm_up):
        once()
    if case.url and user is not None:
        # Desk pages read the sidebar counts from a 30-second cache: refill it just before the
        # counted request so the count is the steady state's, not a recount's.
        view_counts_forget(user)
        once()
    data = prepare() if prepare is not None else None
    with CaptureQueriesContext(connection) as queries:
        response = call(data)
    # Copied now: every request clears the connection's query log when it starts.
    captured = list(queries.captured_queries)
    result["queries"] = len(captured)
    if case.url:
        result["bytes"] = len(response.content)
    cpu: list[float] = []
    result |= _figures(_timed(call, repeats, prepare, cpu))
    result["cpu_median_ms"] = round(statistics.median(cpu), 2)
    result["cpu_p95_ms"] = round(percentile(cpu, 0.95), 2)
    if case.url and case.selector is not None:
        result["selector"] = _figures(_timed(lambda _data: case.selector(user), repeats))
    if explain and case.explain:
        result["plans"] = [plan_of(q["sql"]) for q in captured if touches_tickets(q["sql"])]
    return result


def run(
    *,
    repeats: int = 20,
    only: tuple[str, ...] = (),
    explain: bool = True,
    warm_up: int = WARM_UP,
    out=None,
) -> dict:
    """Run every case (or those whose key contains one of `only`) and return the results."""
    from django.test import Client

    from .cases import ANONYMOUS, build_cases, personas

    out = out or sys.stdout
    people = personas()
    cases = [c for c in build_cases(people) if not only or any(o in c.key for o in only)]
    # "localhost" is in the default ALLOWED_HOSTS; the test client's "testserver" is not.
    clients = {ANONYMOUS: Client(SERVER_NAME="localhost")}
    for key, user in people.items():
        clients[key] = Client(SERVER_NAME="localhost")
        clients[key].force_login(user)
    document = {"meta": _meta(repeats), "cases": []}
    out.write(f"{_meta_line(document['meta'])}\n")
    for case in cases:
        result = measure(
            case,
            people.get(case.persona),
            clients[case.persona],
            repeats=repeats,
            explain=explain,
            warm_up=warm_up,
        )
        document["cases"].append(result)
        out.write(
            f"  {result['key']:<32} p95 {result['p95_ms']:>8.1f} ms"
            f"  (cpu median {result['cpu_median_ms']:.1f} ms)\n"
        )
        out.flush()
    return document


def _meta(repeats: int) -> dict:
    import django
    from django.db import connection

    from helpline.audit.models import Event
    from helpline.tickets.models import Entry, Ticket

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "database_version": version,
        "tickets": Ticket.objects.count(),
        "entries": Entry.objects.count(),
        "events": Event.objects.count(),
        "repeats": repeats,
        "machine": _machine(),
        # Other work on the machine slows every figure; the 1-minute load when the run began.
        "load_average": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "django": django.get_version(),
        "commit": _commit(),
    }


def _machine() -> dict:
    info = {"cores": os.cpu_count(), "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory_gb"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return info


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=BENCH_DIR,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _meta_line(meta: dict) -> str:
    return (
        f"{meta['database']} {meta['database_version']}: {meta['tickets']:,} tickets, "
        f"{meta['entries']:,} entries, {meta['events']:,} events; {meta['repeats']} runs per case"
        f" (load average {meta.get('load_average', '?')} on {meta['machine'].get('cores')} cores)"
    )


# --- report ---------------------------------------------------------------------------------


def table(document: dict) -> str:
    lines = [
        _meta_line(document["meta"]),
        "",
        f"{'case':<32} {'min':>7} {'median':>8} {'p95':>8} {'cpu med':>8} {'queries':>7} "
        f"{'sel. p95':>9}  title",
    ]
    for r in document["cases"]:
        selector = r.get("selector", {}).get("p95_ms")
        lines.append(
            f"{r['key']:<32} {r['min_ms']:>7.1f} {r['median_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r.get('cpu_median_ms', 0):>8.1f} {r['queries']:>7} "
            f"{selector if selector is not None else '':>9}  {r['title']}"
        )
    plans = [(r["key"], p) for r in document["cases"] for p in r.get("plans", [])]
    if plans:
        lines += ["", "Plans of the queries on tickets (PostgreSQL: EXPLAIN ANALYZE's own time):"]
        for key, plan in plans:
            took = f" {plan['execution_ms']:.1f} ms" if "execution_ms" in plan else ""
            flag = "  FULL SCAN ON TICKETS" if plan["full_scan_on_tickets"] else ""
            lines.append(f"  {key}:{took}{flag}")
            lines += [f"      {line}" for line in plan["scans"] + plan["sorts"]]
    return "\n".join(lines)


def check(document: dict, thresholds: dict) -> list[str]:
    """What exceeds its threshold: p95 per backend, queries per page, full scans on tickets."""
    database = document["meta"]["database"]
    limits = thresholds.get("p95_ms", {}).get(database, {})
    query_limits = thresholds.get("queries", {})
    failures = []
    for r in document["cases"]:
        key = r["key"]
        if key in limits and r["p95_ms"] > limits[key]:
            failures.append(f"{key}: p95 {r['p95_ms']:.1f} ms > {limits[key]} ms")
        if key in query_limits and r["queries"] > query_limits[key]:
            failures.append(f"{key}: {r['queries']} queries > {query_limits[key]}")
        if "note" not in r and any(p["full_scan_on_tickets"] for p in r.get("plans", [])):
            failures.append(f"{key}: a query reads the whole tickets table")
    return failures


def save(document: dict, directory: Path = RESULTS_DIR) -> Path:
    meta = document["meta"]
    directory.mkdir(parents=True, exist_ok=True)
    # Named after the size generated (two figures): the write cases add tickets on every run.
    size = int(float(f"{meta['tickets']:.2g}")) if meta["tickets"] >= 10_000 else meta["tickets"]
    path = directory / f"{meta['date'][:10]}-{meta['database']}-{size}.json"
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HELPLINE_BENCH_DATABASE_URL", ""),
        help="postgres://… or sqlite:///… (default: HELPLINE_BENCH_DATABASE_URL, else a SQLite "
        "file under var/bench/ named after --tickets)",
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=100_000,
        help="generate this many tickets first when the database has none (default 100000)",
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per case (20)")
    parser.add_argument(
        "--only", default="", help="comma-separated: run the cases whose key contains one"
    )
    parser.add_argument("--no-explain", action="store_true", help="skip the query plans")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--check", action="store_true", help="exit 1 when a threshold is exceeded")
    parser.add_argument("--thresholds", type=Path, default=THRESHOLDS)
    args = parser.parse_args(argv)

    configure(args.database_url or default_database_url(args.tickets))
    migrate()
    from helpline.tickets.models import Ticket

    if not Ticket.objects.exists():
        from .generate import generate

        print(f"the database has no tickets: generating {args.tickets:,} first")
        generate(tickets=args.tickets)
    from .desk import addresses_fill

    if filled := addresses_fill():
        print(f"gave {filled:,} people their address rows (generated before the generator did)")
    from helpline.search.models import SearchDocument

    if not SearchDocument.objects.filter(kind="ticket").exists():
        # A desk generated before the generator indexed it: the search cases would time an
        # empty index. On PostgreSQL the set-based rebuild takes minutes at a million.
        print(
            "WARNING: the search index holds no requests, so the search cases find nothing: "
            "run `helpline reindex --kind ticket` on this database first"
        )

    only = tuple(part for part in args.only.split(",") if part)
    document = run(repeats=args.repeats, only=only, explain=not args.no_explain)
    print()
    print(table(document))
    if not args.no_save:
        print(f"\nwritten to {save(document)}")
    if args.check:
        failures = check(document, tomllib.loads(args.thresholds.read_text()))
        print()
        for failure in failures:
            print(f"EXCEEDED {failure}")
        print("bench check: " + ("FAILED" if failures else "all within thresholds"))
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
