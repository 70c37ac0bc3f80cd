"""The embedded task queue (Huey on SQLite, without Redis), stored as the main database is.

Huey's SQLite storage keeps SQLite's default `synchronous=FULL`: every queued task (a
notification after each reply or submission) waited for an fsync of the queue file, about 5 ms
on the reference machine, while holding the queue's exclusive lock against the other web
processes. In WAL mode `synchronous=NORMAL` stays consistent after a crash and loses at most the
last transactions on power loss, as the main database does (settings.py); a task lost that way
is found again by the sweeps that look for unsent notifications.
"""

from huey import SqliteHuey as HueySqliteHuey
from huey.storage import SqliteStorage


class SqliteNormalStorage(SqliteStorage):
    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


class SqliteHuey(HueySqliteHuey):
    storage_class = SqliteNormalStorage
