"""Run callables at the same moment in real threads, each on its own database connection."""

import re
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import connections


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


_ROW_LOCK = re.compile(r"\bFOR (NO KEY )?UPDATE\b", re.IGNORECASE)


def _holding_locks(seconds: float):
    """An execute wrapper that keeps each row lock a little longer once it is granted, so two
    threads' transactions really overlap (thread start-up alone staggers them by milliseconds)."""

    def hold(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if _ROW_LOCK.search(sql):
            time.sleep(seconds)
        return result

    return hold


def run_together(
    *calls: Callable[[], Any], timeout: float = 60, hold_locks: float = 0
) -> list[Outcome]:
    """Start every call behind one barrier, wait for all, return what each returned or raised.

    Each thread gets its own connection (Django keeps them per thread) and closes it at the end,
    so PostgreSQL can drop the test database afterwards. `hold_locks` seconds of sleep after
    every SELECT … FOR [NO KEY] UPDATE widen the window in which locks taken one by one in opposite
    orders would deadlock. Tests using this need `django_db(transaction=True)`: the threads
    cannot see a test's open transaction.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(index: int, call: Callable[[], Any]) -> None:
        connection = connections["default"]
        try:
            # Connect before the barrier, so connecting does not stagger the start.
            connection.ensure_connection()
            wrapper = (
                connection.execute_wrapper(_holding_locks(hold_locks))
                if hold_locks
                else nullcontext()
            )
            with wrapper:
                barrier.wait(timeout)
                outcomes[index].value = call()
        except BaseException as exc:  # noqa: BLE001 (reported to the test)
            outcomes[index].error = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} thread(s) still running after {timeout}s"
    return outcomes
