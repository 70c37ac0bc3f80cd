"""Bulk row writing for the generator: COPY on PostgreSQL, executemany on SQLite.

Rows are written as tuples in the column order given, with values the database accepts
directly (the generator formats dates for the backend through `Writer.when`).
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.core.management.color import no_style
from django.db import connection

SQLITE_BATCH = 20_000


class Writer:
    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.postgres = self.vendor == "postgresql"
        self.rows_written = 0

    def when(self, value: datetime | None):
        """A datetime as this backend stores it: aware on PostgreSQL, UTC text on SQLite."""
        if value is None or self.postgres:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        qn = connection.ops.quote_name
        column_list = ", ".join(qn(c) for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {qn(table)} ({column_list}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {qn(table)} ({column_list}) VALUES ({marks})"  # noqa: S608
                batch: list[tuple] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= SQLITE_BATCH:
                        cursor.cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.cursor.executemany(sql, batch)
                    count += len(batch)
        self.rows_written += count
        return count

    # --- secondary indexes: dropped before a big load, rebuilt once after -------------------

    def secondary_indexes(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the plain (non-unique) indexes on `tables`."""
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
                    [list(tables)],
                )
            else:
                marks = ", ".join("%s" for _ in tables)
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master "  # noqa: S608
                    f"WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
                    list(tables),
                )
            return [
                (name, sql) for name, sql in cursor.fetchall() if sql.startswith("CREATE INDEX")
            ]

    def drop_indexes(self, indexes: list[tuple[str, str]]) -> None:
        with connection.cursor() as cursor:
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def create_indexes(self, indexes: list[tuple[str, str]]) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, sql in indexes:
                cursor.execute(sql)

    # --- foreign keys (PostgreSQL): checked once per table after the load, not once per row --

    def foreign_keys(self, tables: Sequence[str]) -> list[tuple[str, str, str]]:
        """(table, constraint, definition) of the foreign keys on `tables`; none on SQLite,
        which checks each row cheaply against the parent's primary key as it goes."""
        if not self.postgres:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [list(tables)],
            )
            return cursor.fetchall()

    def drop_foreign_keys(self, keys: list[tuple[str, str, str]]) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, name, _definition in keys:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")

    def add_foreign_keys(self, keys: list[tuple[str, str, str]]) -> None:
        """Put the constraints back; PostgreSQL validates every existing row as it does."""
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, name, definition in keys:
                cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")

    # --- after the load ---------------------------------------------------------------------

    def reset_sequences(self, models: list) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def analyze(self, tables: Sequence[str], vacuum: bool) -> None:
        """Leave planner statistics as a desk in service has them.

        PostgreSQL: autovacuum keeps statistics for every table, so analyse them all; with
        `vacuum`, also set the visibility map index-only scans need on the big tables (VACUUM
        cannot run inside a transaction, so a small load inside one only analyses).
        SQLite: what `helpline serve` does at start and the worker daily, sampled statistics
        (helpline/core/planner.py; a full ANALYZE makes SQLite scan the tickets table for the
        "all open" counts and the ticket page, docs/admin/benchmarks.md).
        """
        if not self.postgres:
            from helpline.core.planner import planner_statistics_refresh

            planner_statistics_refresh()
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            if vacuum:
                for table in tables:
                    cursor.execute(f"VACUUM {qn(table)}")
            cursor.execute("ANALYZE")
