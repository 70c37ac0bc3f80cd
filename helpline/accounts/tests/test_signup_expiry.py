"""Sign-ups never confirmed expire with their link and are cleaned up by the worker."""

import importlib
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from helpline.accounts import tasks
from helpline.accounts.models import User
from helpline.accounts.services import requester_register
from helpline.accounts.tests.factories import UserFactory
from helpline.audit.models import Event
from helpline.tickets import services as ticket_services
from helpline.tickets.models import Channel

FORM = {
    "name": "Petra Hansen",
    "email": "petra@acme.test",
    "password1": "long-enough-pass-42",
    "password2": "long-enough-pass-42",
}


def sign_up(client, email="petra@acme.test"):
    client.post(reverse("accounts:signup"), {**FORM, "email": email})
    return User.objects.get(email=email)


def test_expired_sign_up_is_removed_by_the_periodic_task(client, db, time_machine):
    time_machine.move_to("2030-03-01 12:00Z", tick=False)
    pending = sign_up(client)
    time_machine.move_to("2030-03-03 12:00Z", tick=False)
    tasks.signups_expired.call_local()
    assert User.objects.filter(pk=pending.pk).exists(), "the link still works for a day"
    time_machine.move_to("2030-03-04 12:01Z", tick=False)
    tasks.signups_expired.call_local()
    assert not User.objects.filter(pk=pending.pk).exists()
    assert not EmailAddress.objects.filter(email="petra@acme.test").exists()
    event = Event.objects.get(action="account.signup_expired")
    assert event.changes == {"email": "petra@acme.test", "kept": False}
    # The address is free again: a new sign-up makes a new pending account.
    mail.outbox.clear()
    assert sign_up(client).pk != pending.pk


def test_confirmed_staff_and_passwordless_people_are_never_touched(
    client, requester_a, dispatcher, support, time_machine
):
    confirmed = sign_up(client, "quick@acme.test")
    client.post(reverse("accounts:signup_confirm", kwargs={"key": key_in(mail.outbox[0].body)}))
    registered = requester_register(email="caller@acme.test")
    unconfirmed_with_password = UserFactory(email="old@acme.test", email_verified=False)
    User.objects.filter(pk=unconfirmed_with_password.pk).update(
        last_login=timezone.now() - timedelta(days=30)
    )
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)
    tasks.signups_expired.call_local()
    for person in (confirmed, registered, requester_a, dispatcher, unconfirmed_with_password):
        assert User.objects.filter(pk=person.pk).exists(), person.email


def test_expired_sign_up_with_a_request_keeps_the_person_but_not_the_password(
    client, support, time_machine
):
    time_machine.move_to("2030-03-01 12:00Z", tick=False)
    pending = sign_up(client)
    # The real owner of the address writes in before anyone confirms the sign-up.
    owner = requester_register(email="petra@acme.test")
    assert owner.pk == pending.pk
    ticket_services.ticket_create(
        actor=owner,
        requester=owner,
        subject="Printer",
        body="It jams.",
        channel=Channel.PORTAL,
        department=support,
    )
    time_machine.move_to("2030-03-05 12:00Z", tick=False)
    tasks.signups_expired.call_local()
    owner.refresh_from_db()
    assert not owner.has_usable_password()
    assert owner.requested_tickets.count() == 1
    assert Event.objects.get(action="account.signup_expired").changes["kept"] is True


def test_the_task_is_scheduled_on_the_worker():
    from huey.contrib.djhuey import HUEY

    periodic = {task.name for task in HUEY.read_periodic(timezone.now().replace(hour=6, minute=23))}
    assert tasks.signups_expired.task_class.__name__ in periodic


def key_in(body: str) -> str:
    return body.split("/accounts/signup/confirm/")[1].split("/")[0]


def test_existing_people_get_address_rows_from_the_migration(db):
    # Given people from before allauth: no address rows yet
    staff = UserFactory(email="agent@desk.test", role="agent")
    with_password = UserFactory(email="pw@acme.test")
    registered = UserFactory(email="reg@acme.test")
    registered.set_unusable_password()
    registered.save()
    EmailAddress.objects.all().delete()
    # When the data migration runs
    migration = importlib.import_module("helpline.accounts.migrations.0003_email_addresses")
    from django.apps import apps

    migration.addresses_create(apps, None)
    # Then each has a primary row, proved unless registered from a request without a password
    rows = {a.email: (a.primary, a.verified) for a in EmailAddress.objects.all()}
    assert rows == {
        staff.email: (True, True),
        with_password.email: (True, True),
        registered.email: (True, False),
    }
