from django.db import migrations

STATUSES = [
    ("New", "new", 10),
    ("Open", "open", 20),
    ("Pending on requester", "pending", 30),
    ("On hold (third party)", "on_hold", 40),
    ("Resolved", "resolved", 50),
    ("Closed", "closed", 60),
]

# impact, urgency -> priority (1 low, 2 normal, 3 high, 4 critical)
MATRIX = {
    (3, 3): 4, (3, 2): 3, (2, 3): 3,
    (3, 1): 2, (1, 3): 2, (2, 2): 2,
    (2, 1): 1, (1, 2): 1, (1, 1): 1,
}


def seed(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    PriorityRule = apps.get_model("tickets", "PriorityRule")
    db = schema_editor.connection.alias
    for name, category, order in STATUSES:
        Status.objects.using(db).get_or_create(
            name=name, defaults={"category": category, "order": order, "is_default": True}
        )
    for (impact, urgency), priority in MATRIX.items():
        PriorityRule.objects.using(db).get_or_create(
            impact=impact, urgency=urgency, defaults={"priority": priority}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
