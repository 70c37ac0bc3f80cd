"""SQLite's query planner statistics: gathered at start and daily, bounded in cost.

Without `sqlite_stat1` SQLite guesses every index equally selective and every table a million
rows. On the benchmark desk that guess sends the administrator's activity statistics through
the entries' author index (240 ms of SQL at 100,000 requests) where the creation-date index
answers in 23 ms. A full `ANALYZE` is worse than none here: it averages skewed columns (almost
every `merged_into_id` is NULL, a sixth of the tickets per status category), so the ticket page
and the "all open" counts scan the whole tickets table. With `analysis_limit` SQLite samples
about that many entries per index instead: the estimates stay those of a selective index, the
table sizes become real, and the cost is bounded by the number of indexes, not the rows (about
15 ms of CPU at 100,000 requests). docs/admin/benchmarks.md has the measurements.

`PRAGMA optimize` is not enough on SQLite 3.40 (Debian 12): on a fresh connection it analyses
only the tables that connection has queried, so a start-up or a periodic job would do nothing.

PostgreSQL keeps its own statistics (autovacuum's autoanalyze): nothing to do there.
"""

from django.db import connections

# SQLite's documentation suggests 400 for `PRAGMA optimize`; more samples come closer to the full
# ANALYZE, whose averages are the problem above.
ANALYSIS_LIMIT = 400


def planner_statistics_refresh(using: str = "default") -> bool:
    """Gather SQLite's planner statistics, sampled. Returns False on other databases.

    Connections already open load the new statistics when they next read the schema: at once
    the first time (creating `sqlite_stat1` changes the schema), else when they reconnect."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        try:
            cursor.execute("ANALYZE")
        finally:
            cursor.execute("PRAGMA analysis_limit = 0")
    return True
