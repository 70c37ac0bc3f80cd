from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The embedded install caches in the database; creating the table here means every
    # database that has been migrated (tests included) can use it.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
