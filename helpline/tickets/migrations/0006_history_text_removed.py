"""The text history columns, replaced by `Entry.data` (0005); the portal's indexes follow its
"last update" (last public activity)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_history_as_data")]

    operations = [
        migrations.RemoveField(model_name="entry", name="new_value"),
        migrations.RemoveField(model_name="entry", name="old_value"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_requester"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_organisation"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["requester", "-last_public_activity_at", "-id"], name="ticket_requester"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["organisation", "-last_public_activity_at", "-id"],
                name="ticket_organisation",
            ),
        ),
    ]
