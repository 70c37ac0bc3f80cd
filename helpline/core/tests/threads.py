"""Run callables at the same moment in real threads, each on its own database connection."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run_together(*calls: Callable[[], Any], timeout: float = 60) -> list[Outcome]:
    """Start every call behind one barrier, wait for all, return what each returned or raised.

    Each thread gets its own connection (Django keeps them per thread) and closes it at the end,
    so PostgreSQL can drop the test database afterwards. Tests using this need
    `django_db(transaction=True)`: the threads cannot see a test's open transaction.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
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
