"""The database itself keeps the event log append-only; retention is the one way out."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from helpline.audit.models import Event
from helpline.audit.services import event_prune, event_record
from helpline.core import clock

from .factories import EventFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def refused(sql: str, params=()) -> bool:
    """True if the database refuses the statement (inside a savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            raw(sql, params)
    except IntegrityError as exc:
        assert "append-only" in str(exc)
        return True
    return False


def days_ago(days: int) -> datetime.datetime:
    return clock.now() - datetime.timedelta(days=days)


# --- the database's own guard -----------------------------------------------------------------


def test_raw_sql_cannot_change_or_delete_an_event(admin_user):
    event = event_record(actor=admin_user, action="settings.changed", changes={"a": [1, 2]})

    assert refused("UPDATE audit_event SET action = 'nothing.happened' WHERE id = %s", [event.pk])
    assert refused("UPDATE audit_event SET actor_id = NULL WHERE id = %s", [event.pk])
    assert refused("UPDATE audit_event SET created_at = %s", [NOW])
    assert refused("DELETE FROM audit_event WHERE id = %s", [event.pk])
    assert refused("DELETE FROM audit_event")

    assert raw("SELECT action, actor_id FROM audit_event") == [("settings.changed", admin_user.pk)]
    # inserting stays open: the log grows
    assert not refused(
        "INSERT INTO audit_event (created_at, actor_repr, action, object_type, object_id,"
        " object_repr, changes) VALUES (%s, '', 'raw.insert', '', '', '', '{}')",
        [NOW],
    )


def test_emptying_the_whole_table_is_refused():
    """PostgreSQL's TRUNCATE skips row triggers, so a statement trigger refuses it; SQLite's
    "truncate optimisation" of an unqualified DELETE is off for a table with triggers."""
    EventFactory()
    statement = (
        "TRUNCATE audit_event" if connection.vendor == "postgresql" else "DELETE FROM audit_event"
    )
    assert refused(statement)
    assert Event.objects.count() == 1


def test_the_retention_flag_of_another_transaction_does_not_open_the_log():
    """Only the transaction that holds the flag may delete; afterwards the guard is back."""
    EventFactory(created_at=days_ago(400))
    event_prune(before=days_ago(1))
    assert raw("SELECT COUNT(*) FROM audit_event_retention") == [(0,)]
    assert refused("DELETE FROM audit_event")


def test_deleting_a_person_leaves_their_events_untouched(client, admin_user, dispatcher):
    """No cascade and no SET NULL (which the trigger would refuse): the row stays as written."""
    event = event_record(actor=dispatcher, action="ticket.updated")
    dispatcher_id = dispatcher.pk

    dispatcher.delete()

    assert raw("SELECT actor_id, actor_repr FROM audit_event WHERE id = %s", [event.pk]) == [
        (dispatcher_id, "dispatcher@desk.test")
    ]
    client.force_login(admin_user)
    response = client.get(reverse("manage:events"), {"action": "ticket.updated"})
    (shown,) = response.context["result"].events
    assert shown.actor is None
    assert "dispatcher@desk.test" in response.content.decode()


# --- retention: the one removal path ----------------------------------------------------------


def test_prune_events_removes_only_old_events_of_the_action_and_records_itself():
    old_failures = [
        EventFactory(action="auth.login_failed", created_at=days_ago(100)) for _ in range(5)
    ]
    recent_failure = EventFactory(action="auth.login_failed", created_at=days_ago(10))
    old_other = EventFactory(action="ticket.updated", created_at=days_ago(100))
    out = StringIO()

    call_command(
        "prune-events",
        "--older-than",
        "90",
        "--action",
        "auth.login_failed",
        "--batch",
        "2",
        stdout=out,
    )

    lines = out.getvalue().splitlines()
    assert lines[:3] == ["  events 2/5", "  events 4/5", "  events 5/5"]
    assert lines[-1].startswith("Removed 5 'auth.login_failed' events older than ")
    assert not Event.objects.filter(pk__in=[e.pk for e in old_failures]).exists()
    assert set(Event.objects.values_list("pk", flat=True)) >= {recent_failure.pk, old_other.pk}
    record = Event.objects.get(action="events.pruned")
    assert record.changes["removed"] == 5
    assert record.changes["action"] == "auth.login_failed"
    assert record.actor_id is None
    # the guard is back once the command is done
    assert refused("DELETE FROM audit_event WHERE id = %s", [old_other.pk])


def test_prune_events_by_family_and_keeps_earlier_retention_records():
    EventFactory(action="auth.login", created_at=days_ago(50))
    EventFactory(action="auth.login_failed", created_at=days_ago(50))
    earlier = EventFactory(action="events.pruned", created_at=days_ago(50))
    ticket = EventFactory(action="ticket.updated", created_at=days_ago(50))

    result = event_prune(before=days_ago(30), action="auth.")

    assert result.deleted == 2
    assert set(Event.objects.exclude(action="events.pruned").values_list("pk", flat=True)) == {
        ticket.pk
    }
    event_prune(before=days_ago(30))
    assert Event.objects.filter(pk=earlier.pk).exists()
    assert not Event.objects.filter(pk=ticket.pk).exists()


def test_prune_events_dry_run_and_nothing_to_do_change_nothing():
    EventFactory(created_at=days_ago(100))
    out = StringIO()
    call_command("prune-events", "--older-than", "30", "--dry-run", stdout=out)
    assert out.getvalue().startswith("Would remove 1 events older than ")
    assert Event.objects.count() == 1

    out = StringIO()
    call_command("prune-events", "--older-than", "365", stdout=out)
    assert out.getvalue().startswith("Removed 0 events")
    assert Event.objects.count() == 1  # and no retention record for removing nothing


def test_prune_events_refuses_a_zero_age():
    with pytest.raises(CommandError, match="at least 1 day"):
        call_command("prune-events", "--older-than", "0", stdout=StringIO())


# --- the demo loader writes history at its moments, never rewriting it --------------------------


def test_replayed_moments_are_written_on_insert():
    when = datetime.datetime(2025, 1, 2, 9, 30, tzinfo=datetime.UTC)
    with clock.replaying_at(when):
        event = event_record(actor=None, action="demo.step")
    assert raw(
        "SELECT COUNT(*) FROM audit_event WHERE id = %s AND created_at = %s", [event.pk, when]
    )
    assert Event.objects.get(pk=event.pk).created_at == when
    assert clock.now() > when
