"""Sign-up: nothing usable before the address is confirmed, no duplicates, no leaks, limits."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role, User
from helpline.accounts.services import requester_register
from helpline.audit.models import Event
from helpline.core.models import SiteSettings

SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
FORM = {
    "name": "Petra Hansen",
    "email": "Petra@Acme.test",
    "password1": "long-enough-pass-42",
    "password2": "long-enough-pass-42",
}


def path_in(message, name: str) -> str:
    return re.search(rf"https?://[^/\s]+(/accounts/{name}/\S+/)", message.body).group(1)


def test_new_address_gets_a_confirmation_and_the_account_is_unusable_before(client, org_a):
    response = client.post(SIGNUP, FORM)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["petra@acme.test"]
    # The account waits, unproved, outside the organisation and unable to sign in.
    pending = User.objects.get(email="petra@acme.test")
    assert pending.role == Role.REQUESTER and pending.organisation is None
    assert not EmailAddress.objects.get(user=pending).verified
    stranger = Client()
    stranger.post(LOGIN, {"login": "petra@acme.test", "password": FORM["password1"]})
    assert "_auth_user_id" not in stranger.session
    link = path_in(mail.outbox[0], "signup/confirm")
    # Opening the link (as a mail scanner would) confirms nothing; the button does.
    assert "Confirm and sign in" in client.get(link).content.decode()
    assert not EmailAddress.objects.get(user=pending).verified
    response = client.post(link)
    assert response.status_code == 302 and response.url == reverse("core:home")
    user = User.objects.get(email="petra@acme.test")
    assert user.check_password("long-enough-pass-42")
    assert (user.first_name, user.last_name, user.organisation) == ("Petra", "Hansen", org_a)
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Event.objects.filter(action="account.signed_up", object_id=str(user.pk)).exists()
    assert Event.objects.filter(action="account.address_confirmed", actor=user).exists()


def test_confirming_twice_is_harmless(client, db):
    client.post(SIGNUP, FORM)
    link = path_in(mail.outbox[0], "signup/confirm")
    client.post(link)
    client.post(reverse("accounts:logout"))
    again = client.post(link)
    assert again.status_code == 200 and "no longer works" in again.content.decode()
    assert "no longer works" in client.get(link).content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.filter(email="petra@acme.test").count() == 1


def test_confirmation_needs_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get(SIGNUP)
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    client.post(SIGNUP, {**FORM, "csrfmiddlewaretoken": token})
    link = path_in(mail.outbox[0], "signup/confirm")
    assert client.post(link).status_code == 403
    assert not EmailAddress.objects.get(email="petra@acme.test").verified
    assert client.post(link, {"csrfmiddlewaretoken": token}).status_code == 302
    assert EmailAddress.objects.get(email="petra@acme.test").verified


def test_confirming_in_another_browser_confirms_but_does_not_sign_in(client, db):
    client.post(SIGNUP, FORM)
    link = path_in(mail.outbox[0], "signup/confirm")
    other = Client()
    response = other.post(link)
    assert response.status_code == 302
    assert "_auth_user_id" not in other.session
    assert EmailAddress.objects.get(email="petra@acme.test").verified
    other.post(LOGIN, {"login": "petra@acme.test", "password": FORM["password1"]})
    assert "_auth_user_id" in other.session


def test_auto_registered_requester_is_not_duplicated(client, support):
    requester = requester_register(email="petra@acme.test", name="Petra")
    response = client.post(SIGNUP, FORM)
    assert response.url == reverse("accounts:signup_sent")
    assert User.objects.filter(email__iexact="petra@acme.test").count() == 1
    requester.refresh_from_db()
    assert not requester.has_usable_password()
    message = mail.outbox[0]
    assert "no password yet" in message.body
    form_url = client.get(path_in(message, "password/reset/key")).url
    client.post(form_url, {"password1": "chosen-pass-314", "password2": "chosen-pass-314"})
    requester.refresh_from_db()
    assert requester.check_password("chosen-pass-314")
    # The link went to the address, so the address is proved now.
    assert EmailAddress.objects.get(user=requester).verified
    assert client.session["_auth_user_id"] == str(requester.pk)


def test_existing_account_gets_a_sign_in_reminder_not_a_new_account(client, requester_a):
    response = client.post(SIGNUP, {**FORM, "email": requester_a.email})
    assert response.url == reverse("accounts:signup_sent")
    assert "Sign in here" in mail.outbox[0].body
    requester_a.refresh_from_db()
    assert requester_a.check_password("secret-pass-123")
    assert User.objects.filter(email__iexact=requester_a.email).count() == 1


def test_staff_cannot_sign_up_and_sign_up_never_makes_staff(client, dispatcher):
    client.post(SIGNUP, {**FORM, "email": dispatcher.email})
    dispatcher.refresh_from_db()
    assert dispatcher.role == Role.AGENT and dispatcher.check_password("secret-pass-123")
    assert "already have an account" in mail.outbox[0].subject
    client.post(SIGNUP, {**FORM, "role": "admin", "is_staff": "on", "is_superuser": "on"})
    new = User.objects.get(email="petra@acme.test")
    assert (new.role, new.is_staff, new.is_superuser) == (Role.REQUESTER, False, False)
    # Signed in as staff, the sign-up page sends you home.
    client.force_login(dispatcher)
    assert client.get(SIGNUP).status_code == 302


def test_the_answer_does_not_reveal_whether_an_address_is_known(client, requester_a):
    known = client.post(SIGNUP, {**FORM, "email": requester_a.email}, follow=True)
    unknown = client.post(SIGNUP, FORM, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    csrf = r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"'
    masked = [re.sub(csrf, "", r.content.decode()) for r in (known, unknown)]
    assert masked[0] == masked[1]
    assert len(mail.outbox) == 2


def test_the_password_is_hashed_for_known_addresses_too(client, requester_a, monkeypatch):
    # Structure, not a stopwatch: both branches pay for one password hash.
    from helpline.accounts import forms

    calls = []
    real = forms.make_password
    monkeypatch.setattr(forms, "make_password", lambda *a, **k: calls.append(a) or real(*a))
    client.post(SIGNUP, {**FORM, "email": requester_a.email})
    assert len(calls) == 1


def test_someone_else_confirming_an_address_registered_meanwhile_keeps_one_person(client, support):
    client.post(SIGNUP, FORM)
    link = path_in(mail.outbox[0], "signup/confirm")
    # A request arrives from the same address before the sign-up is confirmed.
    requester = requester_register(email="petra@acme.test", name="Petra")
    client.post(link)
    requester.refresh_from_db()
    assert requester.check_password("long-enough-pass-42")
    assert User.objects.filter(email__iexact="petra@acme.test").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password2": "something-else-42"}, "The two passwords are not the same."),
        ({"password1": "12345678", "password2": "12345678"}, "too common"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
    ],
)
def test_bad_input_is_refused(client, db, change, message):
    response = client.post(SIGNUP, {**FORM, **change})
    assert response.status_code == 200 and message in response.content.decode()
    assert mail.outbox == []
    assert not User.objects.exists()


def test_sign_up_can_be_switched_off(client, db):
    settings = SiteSettings.current()
    settings.allow_signup = False
    settings.save()
    assert client.get(SIGNUP).status_code == 404
    assert client.post(SIGNUP, FORM).status_code == 404
    assert reverse("accounts:signup") not in client.get(LOGIN).content.decode()
    assert mail.outbox == []


def test_sign_ups_per_address_are_limited_with_a_clear_message(db):
    for n in range(3):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(SIGNUP, FORM)
    response = Client(REMOTE_ADDR="10.0.0.9").post(SIGNUP, FORM)
    assert response.status_code == 200
    assert "already sent several messages to this address" in response.content.decode()


def test_sign_ups_per_client_are_limited(db):
    client = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(10):
        client.post(SIGNUP, {**FORM, "email": f"person{n}@acme.test"})
    response = client.post(SIGNUP, {**FORM, "email": "one.more@acme.test"})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert not User.objects.filter(email="one.more@acme.test").exists()


def test_the_confirmation_link_expires_after_three_days(client, db, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.post(SIGNUP, FORM)
    link = path_in(mail.outbox[0], "signup/confirm")
    time_machine.move_to(timezone.now() + timedelta(days=3, minutes=1), tick=False)
    response = client.post(link)
    assert "no longer works" in response.content.decode()
    assert not EmailAddress.objects.get(email="petra@acme.test").verified
