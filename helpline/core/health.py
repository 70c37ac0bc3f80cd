"""What /healthz reports: database, integrity, worker heartbeat, periodic jobs, outbox, disk.

Every database read happens on a separate, short-lived connection with short connect and
statement timeouts, in a thread the page waits for at most `DEADLINE_SECONDS`: a dead or hung
database never ties up a page-serving connection or web thread, and the answer comes within 3
seconds whatever happens. One check runs at a time per process and its report is reused for
`HEALTH_CACHE_SECONDS`, so a burst of probes costs one round of queries.
"""

import contextlib
import copy
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation
from django.db.utils import load_backend
from django.utils import timezone

from helpline.core import clock

# The worker beats every minute; three missed beats mean it is gone.
HEARTBEAT_MAX_AGE = 180
DEADLINE_SECONDS = 2.5
CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 1500
INTEGRITY_FILE = "database-check.json"
CORRUPT_MARKERS = ("malformed", "not a database", "disk image", "corrupt")


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- the separate connection ----------------------------------------------------------------


def _database_settings() -> dict:
    return connections.settings["default"]


def _is_sqlite(db: dict) -> bool:
    return db["ENGINE"] == "django.db.backends.sqlite3"


def _sqlite_path(db: dict) -> Path | None:
    name = str(db["NAME"])
    return None if SQLiteCreation.is_in_memory_db(name) else Path(name)


def health_connection(db: dict):
    """A fresh Django connection to `db`, outside the pool, with short timeouts."""
    db = copy.deepcopy(db)
    db["CONN_MAX_AGE"] = 0
    db["CONN_HEALTH_CHECKS"] = False
    options = db.setdefault("OPTIONS", {})
    if _is_sqlite(db):
        options.pop("init_command", None)
        options["timeout"] = 1
    else:
        options.pop("pool", None)
        options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        timeout = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        options["options"] = f"{options.get('options', '')} {timeout}".strip()
    return load_backend(db["ENGINE"]).DatabaseWrapper(db, alias="__health__")


def _problem(exc: BaseException) -> str:
    text = str(exc).lower()
    return "corrupt" if any(marker in text for marker in CORRUPT_MARKERS) else "unreachable"


def _where(db: dict) -> str:
    if _is_sqlite(db):
        return str(db["NAME"])
    return f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}"


# --- SQLite integrity -----------------------------------------------------------------------


def _integrity_file() -> Path:
    return Path(settings.DATA_DIR) / INTEGRITY_FILE


def sqlite_quick_check(path: Path) -> tuple[bool, str]:
    """`PRAGMA quick_check` on the file at `path`: (ok, first problems found)."""
    if not path.exists():
        return False, "database file missing"
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
        ) as db:
            rows = [row[0] for row in db.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        return False, str(exc)
    return rows == ["ok"], "; ".join(rows)[:500]


def database_integrity_check() -> dict | None:
    """Check the SQLite file and store the result in the data directory (a file, because a
    corrupt database may not take the write). None on PostgreSQL and for in-memory test
    databases."""
    db = _database_settings()
    path = _sqlite_path(db) if _is_sqlite(db) else None
    if path is None:
        return None
    ok, detail = sqlite_quick_check(path)
    result = {
        "ok": ok,
        "detail": detail,
        "database": str(path),
        "checked_at": clock.now().isoformat(),
    }
    target = _integrity_file()
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(result))
    os.replace(temporary, target)
    return result


def _stored_integrity(db: dict) -> dict | None:
    path = _sqlite_path(db) if _is_sqlite(db) else None
    if path is None:
        return None
    try:
        stored = json.loads(_integrity_file().read_text())
    except (OSError, ValueError):
        return None
    return stored if stored.get("database") == str(path) else None


# --- the checks -----------------------------------------------------------------------------


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _seconds_ago(now, value) -> float | None:
    return None if value is None else round((now - value).total_seconds(), 1)


def _job_checks(cursor, now) -> tuple[dict, dict]:
    from .jobs import JOBS
    from .models import PeriodicJob
    from .tasks import HEARTBEAT_JOB

    columns = ("name", "interval_seconds", "registered_at", "last_succeeded_at", "last_error")
    table = PeriodicJob._meta.db_table
    cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 - fixed names
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}

    beat = rows.get(HEARTBEAT_JOB, {}).get("last_succeeded_at")
    age = _seconds_ago(now, _aware(beat))
    worker = {"ok": age is not None and age <= HEARTBEAT_MAX_AGE, "last_heartbeat_seconds_ago": age}

    grace_floor = _setting("HEALTH_JOB_GRACE_SECONDS", 300)
    overdue = []
    for name, row in sorted(rows.items()):
        if name == HEARTBEAT_JOB or name not in JOBS:
            continue
        last = _aware(row["last_succeeded_at"])
        since = last or _aware(row["registered_at"])
        interval = row["interval_seconds"]
        if now - since > timedelta(seconds=interval + max(grace_floor, interval // 2)):
            overdue.append(
                {
                    "name": name,
                    "last_succeeded_seconds_ago": _seconds_ago(now, last),
                    "last_error": row["last_error"] or None,
                }
            )
    return worker, {"ok": not overdue, "overdue": overdue}


def _disk_check() -> dict:
    usage = shutil.disk_usage(settings.DATA_DIR)
    free_mb = usage.free // (1024 * 1024)
    minimum = _setting("HEALTH_MIN_FREE_MB", 500)
    return {"ok": free_mb >= minimum, "free_mb": free_mb, "minimum_mb": minimum}


# Checks other apps add (name -> check(cursor, now) -> dict), read on the health check's own
# connection; registered from their AppConfig.ready() so core depends on none of them.
PART_CHECKS: dict[str, Callable[[Any, datetime], dict]] = {}


def health_part_register(name: str, check: Callable[[Any, datetime], dict]) -> None:
    PART_CHECKS[name] = check


def _collect() -> dict:
    db = _database_settings()
    checks: dict[str, dict] = {}
    unknown = {"ok": None, "error": "database unavailable"}
    path = _sqlite_path(db) if _is_sqlite(db) else None
    if path is not None and not path.exists():
        checks["database"] = {"ok": False, "problem": "unreachable", "where": _where(db)}
    else:
        wrapper = health_connection(db)
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT 1")
                checks["database"] = {"ok": True, "vendor": wrapper.vendor}
                now = clock.now()
                checks["worker"], checks["jobs"] = _job_checks(cursor, now)
                for name, check in PART_CHECKS.items():
                    checks[name] = check(cursor, now)
        except DatabaseError as exc:
            checks["database"] = {
                "ok": False,
                "problem": _problem(exc),
                "where": _where(db),
                "error": exc.__class__.__name__,
            }
        finally:
            with contextlib.suppress(Exception):
                wrapper.close()
    stored = _stored_integrity(db)
    if checks["database"]["ok"] and stored and not stored["ok"]:
        checks["database"] = {
            "ok": False,
            "problem": "corrupt",
            "where": _where(db),
            "detail": stored["detail"],
            "checked_at": stored["checked_at"],
        }
    for name in ("worker", "jobs", *PART_CHECKS):
        checks.setdefault(name, unknown)
    checks["disk"] = _disk_check()
    return checks


# --- the report -----------------------------------------------------------------------------

_lock = threading.Lock()
_state: dict = {"thread": None, "result": None, "at": 0.0}


def _run_check() -> None:
    try:
        result = _collect()
    except Exception as exc:  # noqa: BLE001 - a broken check is reported, never raised
        result = {"database": {"ok": False, "problem": "check failed", "error": repr(exc)}}
    with _lock:
        _state["result"], _state["at"] = result, time.monotonic()


def health_report() -> dict:
    """{"status": "ok"|"unavailable", "failing": [part, …], "checks": {part: {...}}}."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")  # the periodic job registry (imported once)
    started = time.monotonic()
    with _lock:
        fresh = _state["result"] is not None and (
            started - _state["at"] < _setting("HEALTH_CACHE_SECONDS", 5)
        )
        if fresh:
            checks = _state["result"]
        else:
            thread = _state["thread"]
            if thread is None or not thread.is_alive():
                thread = threading.Thread(target=_run_check, name="helpline-health", daemon=True)
                _state["thread"] = thread
                thread.start()
    if not fresh:
        thread.join(max(0.0, DEADLINE_SECONDS - (time.monotonic() - started)))
        with _lock:
            done = not thread.is_alive() and _state["at"] >= started
            checks = _state["result"] if done else None
        if checks is None:
            db = _database_settings()
            checks = {
                "database": {"ok": False, "problem": "timeout", "where": _where(db)},
                "worker": {"ok": None, "error": "database unavailable"},
                "jobs": {"ok": None, "error": "database unavailable"},
                "outbox": {"ok": None, "error": "database unavailable"},
                "disk": _disk_check(),
            }
    failing = [name for name, check in checks.items() if check.get("ok") is False]
    return {"status": "unavailable" if failing else "ok", "failing": failing, "checks": checks}
