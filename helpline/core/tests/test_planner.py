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
    """sqlite_stat1's rows for `table`'s indexes (none when ANALYZE never ran)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return {}
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return dict(cursor.fetchall())


@pytest.fixture
def sqlite_without_statistics(requester_a, support):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its own statistics (autoanalyze)")
    for subject in ("VPN drops every hour", "Printer jams"):
        services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject=subject,
            body="Since Monday.",
            channel=Channel.PORTAL,
            department=support,
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert _statistics("tickets_ticket") == {}


def test_refresh_gathers_statistics_for_the_tickets_indexes(sqlite_without_statistics):
    assert planner_statistics_refresh() is True

    stats = _statistics("tickets_ticket")
    assert "ticket_activity" in stats
    # "rows, rows per key…": two tickets, each its own last activity.
    assert stats["ticket_activity"].split()[0] == "2"


def test_refresh_leaves_the_analysis_limit_as_it_was(sqlite_without_statistics):
    planner_statistics_refresh()

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit")
        assert cursor.fetchone()[0] == 0


def test_the_daily_job_refreshes_them(sqlite_without_statistics):
    planner_statistics.call_local()

    assert "ticket_activity" in _statistics("tickets_ticket")


def test_start_gathers_them_after_migrating(sqlite_without_statistics, monkeypatch):
    commands = []
    monkeypatch.setattr(serve, "call_command", lambda name, **options: commands.append(name))

    serve.prepare(migrate=True)

    assert commands == ["migrate", "collectstatic"]
    assert "ticket_activity" in _statistics("tickets_ticket")


def test_postgresql_is_left_to_autoanalyze():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite is refreshed")
    assert planner_statistics_refresh() is False
