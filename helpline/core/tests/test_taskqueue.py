"""The embedded task queue's SQLite file is written as the main database is: WAL, NORMAL."""

from huey import SqliteHuey as HueySqliteHuey

from helpline.core.taskqueue import SqliteHuey


def _pragmas(huey) -> tuple[str, int]:
    connection = huey.storage.conn
    return (
        connection.execute("PRAGMA journal_mode").fetchone()[0],
        connection.execute("PRAGMA synchronous").fetchone()[0],
    )


def test_queued_tasks_do_not_wait_for_an_fsync_each(tmp_path):
    huey = SqliteHuey("helpline", filename=str(tmp_path / "tasks.sqlite3"))
    assert _pragmas(huey) == ("wal", 1)  # NORMAL
    # Huey's own storage would sync every commit (FULL).
    assert _pragmas(HueySqliteHuey("other", filename=str(tmp_path / "other.sqlite3")))[1] == 2
    huey.storage.enqueue(b"task", None)
    assert huey.storage.queue_size() == 1
    assert huey.storage.dequeue() == b"task"
