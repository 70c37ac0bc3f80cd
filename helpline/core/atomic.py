"""Transactions without a savepoint per nested block, where nothing inside needs one."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def services_without_savepoints() -> Iterator[None]:
    """Services called inside a transaction, their own atomic blocks without a savepoint each (on
    PostgreSQL two round trips per block). Only for calls that catch no error inside: what such
    a service raises leaves the caller's own block, which rolls back to its savepoint or whole,
    as before (Django marks the transaction for rollback on the way out).

    PostgreSQL only: SQLite's backend decides its savepoints itself, and there they cost no
    round trip."""
    features = connection.features
    if connection.vendor != "postgresql" or "uses_savepoints" in vars(features):
        yield  # SQLite, or inside such a block already
        return
    features.uses_savepoints = False
    try:
        yield
    finally:
        # The class's value again (an attribute of this connection's features only).
        del features.uses_savepoints
