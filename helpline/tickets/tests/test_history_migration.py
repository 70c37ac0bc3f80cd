"""The migrations that turn the text history into data (tickets 0005 and 0006)."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

MIGRATION = importlib.import_module("helpline.tickets.migrations.0005_history_as_data")
BEFORE = [("tickets", "0004_verbose_names"), ("accounts", "0002_verbose_names")]
AFTER = [("tickets", "0006_history_text_removed")]


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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_old_rows_forward():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    try:
        # Given a desk with text history, written before the migration
        Status = apps.get_model("tickets", "Status")
        Department = apps.get_model("accounts", "Department")
        User = apps.get_model("accounts", "User")
        Ticket = apps.get_model("tickets", "Ticket")
        Entry = apps.get_model("tickets", "Entry")
        support = Department.objects.create(name="Support", path="/", line=1)
        sam = User.objects.create(
            email="sam@desk.test", first_name="Sam", last_name="Webster", role="agent"
        )
        alice = User.objects.create(email="alice@acme.test", first_name="Alice", role="requester")
        opened = Status.objects.get(name="Open")
        t0 = timezone.now() - timedelta(days=3)
        ticket = Ticket.objects.create(
            subject="VPN",
            status=opened,
            status_category="open",
            department=support,
            requester=alice,
            channel="portal",
            created_at=t0,
            last_activity_at=t0 + timedelta(hours=9),
        )

        def entry(hours, kind, author=None, field="", old="", new=""):
            return Entry.objects.create(
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
        entry(9, "note", sam)
        # when the migration runs
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        apps = executor.loader.project_state(AFTER).apps
        Ticket = apps.get_model("tickets", "Ticket")
        Entry = apps.get_model("tickets", "Entry")

        # then each entry holds data, and what could not be matched is kept as text
        rows = list(
            Entry.objects.filter(ticket_id=ticket.pk, kind="event")
            .order_by("created_at", "id")
            .values_list("field", "data")
        )
        new_status = Status.objects.get(name="New")
        resolved = Status.objects.get(name="Resolved")
        assert rows == [
            (
                "status",
                {
                    "old": {"id": new_status.pk, "category": "new"},
                    "new": {"id": opened.pk, "category": "open"},
                },
            ),
            ("assignee", {"old": None, "new": {"id": sam.pk}}),
            (
                "status",
                {
                    "old": {"id": opened.pk, "category": "open"},
                    "new": {"id": resolved.pk, "category": "resolved"},
                },
            ),
            (
                "status",
                {
                    "old": {"id": resolved.pk, "category": "resolved"},
                    "new": {"id": opened.pk, "category": "open"},
                },
            ),
            ("department", {"old": {"id": support.pk}, "new": {"text": "Long gone"}}),
        ]
        # and the timestamps are filled from the history: the note does not count as public
        migrated = Ticket.objects.get(pk=ticket.pk)
        assert migrated.first_resolved_at == t0 + timedelta(hours=2)
        assert migrated.reopen_count == 1
        assert migrated.last_public_activity_at == t0 + timedelta(hours=3)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_can_be_reversed(requester_a, dispatcher, support, software):
    from helpline.tickets import services
    from helpline.tickets.models import Channel

    ticket = services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="VPN",
        body="Drops.",
        channel=Channel.PORTAL,
        department=support,
    )
    services.ticket_update(ticket=ticket, actor=dispatcher, department=software)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        Entry = apps.get_model("tickets", "Entry")
        row = Entry.objects.get(ticket_id=ticket.pk, field="department")
        assert (row.old_value, row.new_value) == ("Support", "Software")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
