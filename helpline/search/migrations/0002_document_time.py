"""PostgreSQL only: an index on (kind, "when"), so that a common word's newest matches are read
first (engine._postgresql_page). SQLite's search never orders by time: it would only cost writes."""

from django.db import migrations

POSTGRESQL = ['CREATE INDEX search_doc_kind_when ON search_searchdocument (kind, "when")']
POSTGRESQL_UNDO = ["DROP INDEX search_doc_kind_when"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_UNDO))]
