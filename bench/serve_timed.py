"""`helpline serve` with each request timed inside its web worker (`bench.load --timing`).

Each worker process appends one JSON line per request to `<HELPLINE_BENCH_TIMING_DIR>/<pid>.jsonl`:
the thread's CPU time and the wall-clock time of the whole request (middleware included), on
SQLite the time spent waiting in `BEGIN IMMEDIATE` for the write lock, the time it was held and
the thread's CPU time meanwhile, and how many database connections the request opened. The
server's own cost of a request, where its time goes, and how the client connections were spread
over the worker processes are then read apart from the load client's figures.

    python -m bench.serve_timed serve --port 8000 --workers 2 --no-worker   # what bench.load runs
"""

import json
import os
import threading
import time
from pathlib import Path

TIMING_DIR_VARIABLE = "HELPLINE_BENCH_TIMING_DIR"
TARGET = "bench.serve_timed:application"

_state = threading.local()
_file_lock = threading.Lock()
_file = None


def _current() -> dict:
    found = getattr(_state, "request", None)
    if found is None:
        found = _state.request = {"wait": 0.0, "hold": 0.0, "hold_cpu": 0.0, "connects": 0}
    return found


def _instrument_sqlite() -> None:
    """Time the write lock: BEGIN IMMEDIATE returns once it is ours; COMMIT or ROLLBACK ends it."""
    from django.db.backends.signals import connection_created
    from django.db.backends.sqlite3.base import DatabaseWrapper

    begin = DatabaseWrapper._start_transaction_under_autocommit

    def timed_begin(self):
        started = time.perf_counter()
        begin(self)
        _current()["wait"] += (time.perf_counter() - started) * 1000
        _state.held_since = (time.perf_counter(), time.thread_time())

    def timed_end(end):
        def ended(self):
            try:
                return end(self)
            finally:
                since = getattr(_state, "held_since", None)
                if since is not None:
                    _state.held_since = None
                    request = _current()
                    request["hold"] += (time.perf_counter() - since[0]) * 1000
                    request["hold_cpu"] += (time.thread_time() - since[1]) * 1000

        return ended

    DatabaseWrapper._start_transaction_under_autocommit = timed_begin
    DatabaseWrapper._commit = timed_end(DatabaseWrapper._commit)
    DatabaseWrapper._rollback = timed_end(DatabaseWrapper._rollback)

    def opened(**_kwargs):
        _current()["connects"] += 1

    connection_created.connect(opened, weak=False, dispatch_uid="bench.serve_timed")


def _write(record: dict) -> None:
    global _file
    with _file_lock:
        if _file is None:
            folder = Path(os.environ[TIMING_DIR_VARIABLE])
            folder.mkdir(parents=True, exist_ok=True)
            _file = (folder / f"{os.getpid()}.jsonl").open("a", buffering=1)
        _file.write(json.dumps(record) + "\n")


def _load():
    from helpline.config.wsgi import application as inner

    _instrument_sqlite()

    def application(environ, start_response):
        _state.request = None
        started_cpu, started = time.thread_time(), time.perf_counter()
        result = inner(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        request = _current()
        _write(
            {
                "at": time.time(),
                "pid": os.getpid(),
                "method": environ["REQUEST_METHOD"],
                "path": environ.get("PATH_INFO", ""),
                "cpu": (time.thread_time() - started_cpu) * 1000,
                "wall": (time.perf_counter() - started) * 1000,
                **request,
            }
        )
        return [body]

    return application


def __getattr__(name: str):
    # Granian's worker imports `application` by name: build it (and load Django) only then.
    if name == "application":
        globals()["application"] = built = _load()
        return built
    raise AttributeError(name)


def records(folder: Path, since: float) -> list[dict]:
    found = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["at"] >= since:
                found.append(record)
    return found


if __name__ == "__main__":
    # Spawned web workers import this module again as __mp_main__: only the parent serves.
    from helpline.config import cli
    from helpline.core.management.commands import serve

    serve.WSGI_TARGET = TARGET
    cli.main()
