"""PostgreSQL only: a document's tsvector kept by a trigger instead of a generated column, and
defined passage by passage, so that a new reply or note extends it without parsing the
document's earlier text again (docs/decisions/0028).

The vector is the title's (weight A), then the exact tokens' (A), then each passage of the body
on its own (B), concatenated in order. When a change only adds passages at the end of the body
(`engine.append`, a reply or a note), the trigger adds their vectors to the stored one, which
gives the vector a full computation gives; any other insert or change of the text computes it
whole. Existing rows keep the vector of the generated column (the same words, the body before
the exact tokens) until their text changes: no rewrite of the table on upgrade.
"""

from django.db import migrations

POSTGRESQL = [
    "ALTER TABLE search_searchdocument ALTER COLUMN tsv DROP EXPRESSION",
    """
    CREATE FUNCTION search_config(language text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE language WHEN 'nb' THEN 'norwegian'::regconfig
            WHEN 'ru' THEN 'russian'::regconfig ELSE 'english'::regconfig END
    $$
    """,
    # The passage separator is helpline.search.text.PASSAGE.
    """
    CREATE FUNCTION search_body_tsv(config regconfig, body text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
        result tsvector := '';
        passage text;
    BEGIN
        FOREACH passage IN ARRAY string_to_array(body, E'\\n\\x1e\\n') LOOP
            result := result || setweight(to_tsvector(config, passage), 'B');
        END LOOP;
        RETURN result;
    END
    $$
    """,
    """
    CREATE FUNCTION search_document_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
            AND NEW.exact IS NOT DISTINCT FROM OLD.exact
            AND NEW.language IS NOT DISTINCT FROM OLD.language THEN
            IF NEW.body IS NOT DISTINCT FROM OLD.body THEN
                NEW.tsv := OLD.tsv;
                RETURN NEW;
            END IF;
            -- Passages added at the end: only theirs are parsed.
            IF starts_with(NEW.body, OLD.body || E'\n\x1e\n') THEN
                NEW.tsv := OLD.tsv || search_body_tsv(
                    search_config(NEW.language), substr(NEW.body, length(OLD.body) + 4)
                );
                RETURN NEW;
            END IF;
        END IF;
        NEW.tsv := setweight(to_tsvector(search_config(NEW.language), NEW.title), 'A')
            || setweight(to_tsvector('simple'::regconfig, NEW.exact), 'A')
            || search_body_tsv(search_config(NEW.language), NEW.body);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER search_document_tsv BEFORE INSERT OR UPDATE ON search_searchdocument
    FOR EACH ROW EXECUTE FUNCTION search_document_tsv()
    """,
]
POSTGRESQL_UNDO = [
    "DROP TRIGGER search_document_tsv ON search_searchdocument",
    "DROP FUNCTION search_document_tsv()",
    "DROP FUNCTION search_body_tsv(regconfig, text)",
    "DROP FUNCTION search_config(text)",
    "DROP INDEX search_doc_tsv",
    "ALTER TABLE search_searchdocument DROP COLUMN tsv",
    """ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector((CASE language WHEN 'nb' THEN 'norwegian'::regconfig
            WHEN 'ru' THEN 'russian'::regconfig ELSE 'english'::regconfig END), title), 'A')
        || setweight(to_tsvector((CASE language WHEN 'nb' THEN 'norwegian'::regconfig
            WHEN 'ru' THEN 'russian'::regconfig ELSE 'english'::regconfig END), body), 'B')
        || setweight(to_tsvector('simple'::regconfig, exact), 'A')
    ) STORED""",
    "CREATE INDEX search_doc_tsv ON search_searchdocument USING gin (tsv)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_tsquery_any")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_UNDO))]
