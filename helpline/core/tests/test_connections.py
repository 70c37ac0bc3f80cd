"""Database connections between requests: SQLite keeps each thread's, PostgreSQL's pool (off in
tests) or a new connection per request otherwise."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_request_end_keeps_sqlite_connection_and_closes_others():
    # Given a connection a request used,
    request_started.send(sender=None)
    connection.ensure_connection()
    opened = connection.connection

    # when the request ends (Django closes connections older than CONN_MAX_AGE then),
    request_finished.send(sender=None)

    if connection.vendor == "sqlite":
        # then SQLite's stays for the thread's next request: opening one costs about 3 ms of
        # CPU (the SQL functions, the PRAGMAs, the schema parsed again) and the write lock was
        # held longer meanwhile.
        assert connection.settings_dict["CONN_MAX_AGE"] >= 60
        assert connection.connection is opened
    else:
        # and PostgreSQL's goes (back to the pool in production, where the pool keeps it).
        assert connection.settings_dict["CONN_MAX_AGE"] == 0
        assert connection.connection is None
