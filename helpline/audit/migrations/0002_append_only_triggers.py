"""The database refuses UPDATE and DELETE on the event log (and TRUNCATE on PostgreSQL).

Deleting is let through only while the retention flag table holds its row, which `event_prune`
inserts and removes inside its own transaction (uncommitted, so no other session sees it). The
flag table is no Django model on purpose: `flush` and the ORM never touch it.

On SQLite, a later migration that alters `audit_event` rebuilds the table and drops these
triggers with it: such a migration must create them again (the tests check they exist).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import helpline.core.clock

REFUSED = "audit_event is append-only; old events are removed only by helpline prune-events"

SQLITE = [
    "CREATE TABLE audit_event_retention ("
    " id integer NOT NULL PRIMARY KEY CHECK (id = 1), started_at text NOT NULL)",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event"
    " WHEN NOT EXISTS (SELECT 1 FROM audit_event_retention)"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TABLE IF EXISTS audit_event_retention",
]

POSTGRESQL = [
    "CREATE TABLE audit_event_retention ("
    " id integer NOT NULL PRIMARY KEY CHECK (id = 1), started_at timestamptz NOT NULL)",
    f"""
    CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') AND EXISTS (SELECT 1 FROM audit_event_retention) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
    " FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
    "DROP TABLE IF EXISTS audit_event_retention",
]

BY_VENDOR = {"sqlite": (SQLITE, SQLITE_REVERSE), "postgresql": (POSTGRESQL, POSTGRESQL_REVERSE)}


def _run(schema_editor, reverse: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in BY_VENDOR:
        raise NotImplementedError(f"No event-log guard for the {vendor} database")
    for statement in BY_VENDOR[vendor][reverse]:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    _run(schema_editor, reverse=False)


def uninstall(apps, schema_editor):
    _run(schema_editor, reverse=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="who",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="created_at",
            field=models.DateTimeField(
                db_index=True, default=helpline.core.clock.now, verbose_name="when"
            ),
        ),
        # After the AlterFields: on SQLite they rebuild the table, which would drop the triggers.
        migrations.RunPython(install, uninstall),
    ]
