"""Liveness, database and worker checks behind /healthz."""

import time

from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "helpline:worker-heartbeat"
# The worker beats every minute; three missed beats mean it is gone.
HEARTBEAT_MAX_AGE = 180


def worker_heartbeat_record() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def health_report() -> dict:
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means the database is unreachable
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        checks["worker"] = {"ok": False, "error": exc.__class__.__name__}
    else:
        age = None if beat is None else round(time.time() - beat, 1)
        checks["worker"] = {
            "ok": age is not None and age <= HEARTBEAT_MAX_AGE,
            "last_heartbeat_seconds_ago": age,
        }
    status = "ok" if all(check["ok"] for check in checks.values()) else "unavailable"
    return {"status": status, "checks": checks}
