"""Every ticket gets an unguessable reply token (carried in outgoing mail); existing tickets
are given theirs here, one random token each."""

from django.db import migrations, models

import helpline.tickets.models


def fill_reply_tokens(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    tickets = Ticket.objects.using(schema_editor.connection.alias)
    batch = []
    for ticket in tickets.filter(reply_token__isnull=True).only("pk").iterator():
        ticket.reply_token = helpline.tickets.models.reply_token_new()
        batch.append(ticket)
        if len(batch) >= 1000:
            tickets.bulk_update(batch, ["reply_token"])
            batch = []
    if batch:
        tickets.bulk_update(batch, ["reply_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_attachment_sha256"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="reply_token",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(fill_reply_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ticket",
            name="reply_token",
            field=models.CharField(
                default=helpline.tickets.models.reply_token_new, max_length=32, unique=True
            ),
        ),
    ]
