"""SQLite's planner statistics: gathered, sampled, at start and by the daily job."""

import pytest
from django.db import connection

from helpline.core.management.commands import serve
from helpline.core.planner import planner_statistics_refresh
from helpline.core.tasks import planner_statistics
from helpline.tickets import services
from helpline.tickets.models import Channel

pytestmark = pytest.mark.django_db


def _statistics(table: str) -> dict[str, str]:
    """sqlite_stat1's rows for `table`'s indexes (none when ANALYZE never ran). PostgreSQL's
    statistics are autoanalyze's, which the refresh leaves alone: none of ours there."""
    if connection.vendor != "sqlite":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return {}
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return dict(cursor.fetchall())


def _gathers() -> bool:
    """Whether the refresh gathers statistics here: on SQLite; PostgreSQL keeps its own."""
    return connection.vendor == "sqlite"


@pytest.fixture
def without_statistics(requester_a, support):
    for subject in ("VPN drops every hour", "Printer jams"):
        services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=subject,
            body="Since Monday.",
            channel=Channel.PORTAL,
            department=support,
        )
    if _gathers():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert _statistics("tickets_ticket") == {}


def test_refresh_gathers_statistics_for_the_tickets_indexes(without_statistics):
    assert planner_statistics_refresh() is _gathers()

    stats = _statistics("tickets_ticket")
    if _gathers():
        # "rows, rows per key…": two tickets, each its own last activity.
        assert stats["ticket_activity"].split()[0] == "2"
    else:
        assert stats == {}


def test_refresh_leaves_the_analysis_limit_as_it_was(without_statistics):
    assert planner_statistics_refresh() is _gathers()

    if _gathers():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit")
            assert cursor.fetchone()[0] == 0


def test_the_daily_job_refreshes_them(without_statistics):
    planner_statistics.call_local()

    assert ("ticket_activity" in _statistics("tickets_ticket")) is _gathers()


def test_start_gathers_them_after_migrating(without_statistics, monkeypatch):
    commands = []
    monkeypatch.setattr(serve, "call_command", lambda name, **options: commands.append(name))

    serve.prepare(migrate=True)

    assert commands == ["migrate", "collectstatic"]
    assert ("ticket_activity" in _statistics("tickets_ticket")) is _gathers()
