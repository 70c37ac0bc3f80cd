"""`helpline createadmin`: make an administrator (email and password), interactively or not."""

import getpass
import os
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from helpline.accounts.models import User
from helpline.audit.services import event_record

PASSWORD_ENV = "HELPLINE_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable


class Command(BaseCommand):
    help = (
        "Create an administrator. Give --email and --password (or the password in "
        f"{PASSWORD_ENV}); what is missing is asked for when there is a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help="The administrator's sign-in address.")
        parser.add_argument("--password", help=f"The password (safer: set {PASSWORD_ENV} instead).")
        parser.add_argument("--name", default="", help="Full name (optional).")

    def handle(self, *args, **options):
        interactive = sys.stdin.isatty()
        email = (options["email"] or "").strip()
        if not email and interactive:
            email = input("Email address: ").strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError("A valid --email is required.") from exc
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"An account with the address {email} already exists.")

        password = options["password"] or os.environ.get(PASSWORD_ENV, "")
        if not password and interactive:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if not password:
            raise CommandError(f"A password is required (--password or {PASSWORD_ENV}).")
        first, _sep, last = options["name"].strip().partition(" ")
        candidate = User(email=email, first_name=first, last_name=last)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        with transaction.atomic():
            user = User.objects.create_superuser(
                email=email, password=password, first_name=first, last_name=last
            )
            event_record(actor=None, action="staff.created", obj=user, changes={"role": "admin"})
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.email} created."))
