"""PostgreSQL only: `search_tsquery_any(q1, q2, ...)`, the OR of the distinct queries (the
engine's one per text-search configuration). Immutable, so the planner evaluates it on constant
arguments while planning and estimates `tsv @@` from the query it really is: `x | x | x | x`
(an address, a number, a word every stemmer leaves alone) was read as four independent matches."""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE FUNCTION search_tsquery_any(VARIADIC queries tsquery[]) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
        result tsquery;
        seen text[] := '{}';
        query tsquery;
    BEGIN
        FOREACH query IN ARRAY queries LOOP
            IF NOT (query::text = ANY (seen)) THEN
                seen := seen || query::text;
                result := CASE WHEN result IS NULL THEN query ELSE result || query END;
            END IF;
        END LOOP;
        RETURN result;
    END
    $$
    """
]
POSTGRESQL_UNDO = ["DROP FUNCTION search_tsquery_any(VARIADIC tsquery[])"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_document_time")]

    operations = [migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_UNDO))]
