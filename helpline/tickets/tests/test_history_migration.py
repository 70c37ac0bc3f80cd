"""The migrations that turn the text history into data (tickets 0005 and 0006)."""

import importlib
from datetime import timedelta

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

MIGRATION = importlib.import_module("helpline.tickets.migrations.0005_history_as_data")
BEFORE = [("tickets", "0004_verbose_names"), ("accounts", "0002_verbose_names")]
AFTER = [("tickets", "0006_history_text_removed")]
ALIAS = "history_migration"


@pytest.fixture
def scratch(tmp_path, django_db_blocker):
    """A database of its own, migrated from nothing: going back and forth on the shared test
    database would leave it empty for the tests after (a transactional test flushes)."""
    base = connections["default"].settings_dict
    postgres = base["ENGINE"].endswith("postgresql")
    name = f"{base['NAME']}_migration" if postgres else str(tmp_path / "migration.sqlite3")
    with django_db_blocker.unblock():
        if postgres:
            with connections["default"]._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cursor.execute(f'CREATE DATABASE "{name}"')
        connections.settings[ALIAS] = {**base, "NAME": name}
        try:
            yield connections[ALIAS]
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
            if postgres:
                with connections["default"]._nodb_cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def migrate(connection, targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def lookups():
    return MIGRATION.Lookups(
        statuses={"Open": (2, "open"), "Resolved": (5, "resolved")},
        departments={"Support": 10},
        people={"Sam Webster": 7},
        labels=MIGRATION.label_maps(["en", "nb", "ru"]),
    )


@pytest.mark.parametrize(
    ("field", "old", "new", "data"),
    [
        (
            "status",
            "Open",
            "Resolved",
            {"old": {"id": 2, "category": "open"}, "new": {"id": 5, "category": "resolved"}},
        ),
        # A status renamed since cannot be matched: its text is kept.
        (
            "status",
            "Open",
            "Waiting for Bob",
            {"old": {"id": 2, "category": "open"}, "new": {"text": "Waiting for Bob"}},
        ),
        ("department", "Support", "Gone", {"old": {"id": 10}, "new": {"text": "Gone"}}),
        ("assignee", "—", "Sam Webster", {"old": None, "new": {"id": 7}}),
        ("assignee", "Sam Webster", "—", {"old": {"id": 7}, "new": None}),
        ("priority", "Normal", "Critical", {"old": 2, "new": 4}),
        ("impact", "Medium", "High", {"old": 2, "new": 3}),
        ("urgency", "Low", "Unheard of", {"old": 1, "new": {"text": "Unheard of"}}),
        ("line", "1st line (dispatcher)", "2nd line (specialist)", {"old": 1, "new": 2}),
        (
            "ticket_class",
            "Incident",
            "Change request",
            {"old": "incident", "new": "change_request"},
        ),
        ("tags", "", "vpn, windows", {"old": [], "new": ["vpn", "windows"]}),
        ("link", "", "#12", {"old": None, "new": {"id": 12}}),
        ("merged", "#5", "#7", {"old": {"id": 5}, "new": {"id": 7}}),
        ("deleted", "", "Moved to trash", {"old": False, "new": True}),
        ("deleted", "I papirkurven", "Gjenopprettet", {"old": True, "new": False}),
        ("colour", "red", "", {"old": {"text": "red"}, "new": None}),
    ],
)
def test_conversion_of_one_entry(lookups, field, old, new, data):
    assert MIGRATION.convert(field, old, new, 1, lookups) == data


def test_labels_written_in_norwegian_are_matched(lookups):
    from django.utils import translation

    with translation.override("nb"):
        high = translation.gettext("High")
        critical = translation.gettext("Critical")
    assert critical != "Critical"
    assert MIGRATION.convert("priority", high, critical, 1, lookups) == {"old": 3, "new": 4}


def test_an_entry_without_author_was_the_desk(lookups):
    assert MIGRATION.convert("status", "Resolved", "Open", None, lookups)["system"] is True


def test_timeline_counts_reopens_and_keeps_the_first_resolution():
    line = MIGRATION.Timeline()
    t0 = timezone.now()
    steps = [("new", "open"), ("open", "resolved"), ("resolved", "open"), ("open", "resolved")]
    for n, (old, new) in enumerate(steps):
        line.add({"old": {"category": old}, "new": {"category": new}}, t0 + timedelta(hours=n))
    assert line.first_done == t0 + timedelta(hours=1)
    assert line.reopens == 1
    assert line.last_visible == t0 + timedelta(hours=3)


def test_migrating_old_rows_forward(scratch):
    # Given a desk with text history, written before the migration
    apps = migrate(scratch, BEFORE)
    Status = apps.get_model("tickets", "Status")
    Department = apps.get_model("accounts", "Department")
    User = apps.get_model("accounts", "User")
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")
    db = scratch.alias
    support = Department.objects.using(db).create(name="Support", path="/", line=1)
    sam = User.objects.using(db).create(
        email="sam@desk.test", first_name="Sam", last_name="Webster", role="agent"
    )
    alice = User.objects.using(db).create(
        email="alice@acme.test", first_name="Alice", role="requester"
    )
    statuses = {s.name: s for s in Status.objects.using(db).all()}
    t0 = timezone.now() - timedelta(days=3)
    ticket = Ticket.objects.using(db).create(
        subject="VPN",
        status=statuses["Open"],
        status_category="open",
        department=support,
        requester=alice,
        channel="portal",
        created_at=t0,
        last_activity_at=t0 + timedelta(hours=9),
    )

    def entry(hours, kind, author=None, field="", old="", new=""):
        Entry.objects.using(db).create(
            ticket=ticket,
            kind=kind,
            author=author,
            field=field,
            old_value=old,
            new_value=new,
            created_at=t0 + timedelta(hours=hours),
        )

    entry(0, "reply", alice)
    entry(1, "event", sam, "status", "New", "Open")
    entry(1, "event", sam, "assignee", "—", "Sam Webster")
    entry(2, "event", sam, "status", "Open", "Resolved")
    entry(3, "reply", alice)
    entry(3, "event", alice, "status", "Resolved", "Open")
    entry(4, "event", sam, "department", "Support", "Long gone")
    entry(5, "event", sam, "status", "Open", "Resolved")
    entry(9, "note", sam)

    # when the migrations run
    apps = migrate(scratch, AFTER)
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")

    # then each entry holds data, and what could not be matched is kept as text
    rows = list(
        Entry.objects.using(db)
        .filter(ticket_id=ticket.pk, kind="event")
        .order_by("created_at", "id")
        .values_list("field", "data")
    )

    def status(name):
        return {"id": statuses[name].pk, "category": statuses[name].category}

    assert rows == [
        ("status", {"old": status("New"), "new": status("Open")}),
        ("assignee", {"old": None, "new": {"id": sam.pk}}),
        ("status", {"old": status("Open"), "new": status("Resolved")}),
        ("status", {"old": status("Resolved"), "new": status("Open")}),
        ("department", {"old": {"id": support.pk}, "new": {"text": "Long gone"}}),
        ("status", {"old": status("Open"), "new": status("Resolved")}),
    ]
    # and the timestamps are filled from the history: the last visible change is the second
    # solution (after the last reply); the note does not count as public
    migrated = Ticket.objects.using(db).get(pk=ticket.pk)
    assert migrated.first_resolved_at == t0 + timedelta(hours=2)
    assert migrated.reopen_count == 1
    assert migrated.last_public_activity_at == t0 + timedelta(hours=5)


def test_the_migrations_can_be_reversed(scratch):
    # Given history written as data
    apps = migrate(scratch, AFTER)
    Status = apps.get_model("tickets", "Status")
    Department = apps.get_model("accounts", "Department")
    User = apps.get_model("accounts", "User")
    Ticket = apps.get_model("tickets", "Ticket")
    Entry = apps.get_model("tickets", "Entry")
    db = scratch.alias
    support = Department.objects.using(db).create(name="Support", path="/", line=1)
    software = Department.objects.using(db).create(name="Software", path="/", line=2)
    alice = User.objects.using(db).create(email="alice@acme.test", role="requester")
    opened = Status.objects.using(db).get(name="Open")
    ticket = Ticket.objects.using(db).create(
        subject="VPN",
        status=opened,
        status_category="open",
        department=software,
        requester=alice,
        channel="portal",
    )
    for field, data in [
        ("department", {"old": {"id": support.pk}, "new": {"id": software.pk}}),
        ("priority", {"old": 2, "new": 4}),
        ("deleted", {"old": False, "new": True}),
        ("tags", {"old": [], "new": ["mail", "vpn"]}),
    ]:
        Entry.objects.using(db).create(ticket=ticket, kind="event", field=field, data=data)

    # when the database goes back to before the migrations
    apps = migrate(scratch, BEFORE)

    # then the text is written back
    Entry = apps.get_model("tickets", "Entry")
    rows = Entry.objects.using(db).order_by("id").values_list("field", "old_value", "new_value")
    assert list(rows) == [
        ("department", "Support", "Software"),
        ("priority", "Normal", "Critical"),
        ("deleted", "", "Moved to trash"),
        ("tags", "", "mail, vpn"),
    ]
