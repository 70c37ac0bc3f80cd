"""Every person's address as an allauth EmailAddress row, and one person per address.

Staff addresses and those of requesters who set a password (they received mail at it) count as
proved; requesters registered from a request without a password are not, until they confirm.
"""

from django.db import migrations

UNUSABLE_PASSWORD_PREFIX = "!"


def addresses_create(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    existing = set(EmailAddress.objects.values_list("user_id", "email"))
    rows = []
    for user_id, email, role, password in User.objects.values_list(
        "id", "email", "role", "password"
    ).iterator(chunk_size=2000):
        email = (email or "").strip().lower()
        if not email or (user_id, email) in existing:
            continue
        proved = role != "requester" or not (password or "").startswith(UNUSABLE_PASSWORD_PREFIX)
        rows.append(EmailAddress(user_id=user_id, email=email, primary=True, verified=proved))
        if len(rows) >= 2000:
            EmailAddress.objects.bulk_create(rows)
            rows = []
    EmailAddress.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_verbose_names"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(addresses_create, migrations.RunPython.noop),
        # allauth only keeps verified addresses unique; Helpline wants every address, proved or
        # not, to belong to one person (a mail from it must find one requester).
        migrations.RunSQL(
            "CREATE UNIQUE INDEX accounts_emailaddress_email_unique "
            "ON account_emailaddress (lower(email))",
            "DROP INDEX accounts_emailaddress_email_unique",
        ),
    ]
