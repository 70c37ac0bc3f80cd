from django.db import migrations, models

SQLITE = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title_stems, body_stems, exact,
        content='search_searchdocument', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 tokenchars '@.-+/_'"
    )""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, title_stems, body_stems, exact)
        VALUES (new.id, new.title_stems, new.body_stems, new.exact);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_stems, body_stems, exact)
        VALUES ('delete', old.id, old.title_stems, old.body_stems, old.exact);
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_stems, body_stems, exact)
        VALUES ('delete', old.id, old.title_stems, old.body_stems, old.exact);
        INSERT INTO search_fts(rowid, title_stems, body_stems, exact)
        VALUES (new.id, new.title_stems, new.body_stems, new.exact);
    END""",
]
SQLITE_UNDO = [
    "DROP TRIGGER search_fts_update",
    "DROP TRIGGER search_fts_delete",
    "DROP TRIGGER search_fts_insert",
    "DROP TABLE search_fts",
]

CONFIG = """(CASE language WHEN 'nb' THEN 'norwegian'::regconfig
    WHEN 'ru' THEN 'russian'::regconfig ELSE 'english'::regconfig END)"""
POSTGRESQL = [
    f"""ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector({CONFIG}, title), 'A')
        || setweight(to_tsvector({CONFIG}, body), 'B')
        || setweight(to_tsvector('simple'::regconfig, exact), 'A')
    ) STORED""",
    "CREATE INDEX search_doc_tsv ON search_searchdocument USING gin (tsv)",
]
POSTGRESQL_UNDO = [
    "DROP INDEX search_doc_tsv",
    "ALTER TABLE search_searchdocument DROP COLUMN tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=30)),
                ("object_id", models.BigIntegerField()),
                ("part", models.PositiveSmallIntegerField(choices=[(0, "public"), (1, "staff only")], default=0)),
                ("language", models.CharField(max_length=10)),
                ("title", models.TextField(blank=True)),
                ("body", models.TextField(blank=True)),
                ("exact", models.TextField(blank=True)),
                ("when", models.DateTimeField(blank=True, null=True)),
                ("title_stems", models.TextField(blank=True)),
                ("body_stems", models.TextField(blank=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "object_id", "part"), name="search_doc_unique")
                ],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRESQL_UNDO}),
        ),
    ]
