"""Sign-up: a confirmed address, no duplicate of a requester registered from a mail, no leaks."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from helpline.accounts.models import User
from helpline.accounts.services import requester_register
from helpline.audit.models import Event
from helpline.core.models import SiteSettings

SIGNUP = reverse("accounts:signup")
FORM = {
    "name": "Petra Hansen",
    "email": "Petra@Acme.test",
    "password1": "long-enough-pass-42",
    "password2": "long-enough-pass-42",
}


def path_in(message, name: str) -> str:
    return re.search(rf"https?://[^/\s]+(/accounts/{name}/\S+/)", message.body).group(1)


def test_new_address_gets_a_confirmation_and_nothing_is_created_before(client, org_a):
    response = client.post(SIGNUP, FORM)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert not User.objects.filter(email="petra@acme.test").exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["petra@acme.test"]
    link = path_in(mail.outbox[0], "signup/confirm")
    # Opening the link (as a mail scanner would) creates nothing; the button does.
    assert "Confirm and sign in" in client.get(link).content.decode()
    assert not User.objects.filter(email="petra@acme.test").exists()
    response = client.post(link)
    assert response.status_code == 302 and response.url == reverse("core:home")
    user = User.objects.get(email="petra@acme.test")
    assert user.check_password("long-enough-pass-42")
    assert (user.first_name, user.last_name, user.organisation) == ("Petra", "Hansen", org_a)
    assert user.role == "requester"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Event.objects.filter(action="account.signed_up", actor=user).exists()
    # The link works once.
    client.logout()
    assert "no longer works" in client.get(link).content.decode()


def test_auto_registered_requester_is_not_duplicated(client, support):
    requester = requester_register(email="petra@acme.test", name="Petra")
    response = client.post(SIGNUP, FORM)
    assert response.url == reverse("accounts:signup_sent")
    assert User.objects.filter(email__iexact="petra@acme.test").count() == 1
    requester.refresh_from_db()
    assert not requester.has_usable_password()
    message = mail.outbox[0]
    assert "no password yet" in message.body
    form_url = client.get(path_in(message, "password/reset")).url
    client.post(form_url, {"new_password1": "chosen-pass-314", "new_password2": "chosen-pass-314"})
    requester.refresh_from_db()
    assert requester.check_password("chosen-pass-314")


def test_existing_account_gets_a_sign_in_reminder_not_a_new_account(client, requester_a):
    response = client.post(SIGNUP, {**FORM, "email": requester_a.email})
    assert response.url == reverse("accounts:signup_sent")
    assert "Sign in here" in mail.outbox[0].body
    requester_a.refresh_from_db()
    assert requester_a.check_password("secret-pass-123")


def test_the_answer_does_not_reveal_whether_an_address_is_known(client, requester_a):
    known = client.post(SIGNUP, {**FORM, "email": requester_a.email}, follow=True)
    unknown = client.post(SIGNUP, FORM, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    csrf = r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"'
    masked = [re.sub(csrf, "", r.content.decode()) for r in (known, unknown)]
    assert masked[0] == masked[1]


def test_registered_meanwhile_from_a_mail_gets_the_chosen_password(client, support):
    client.post(SIGNUP, FORM)
    link = path_in(mail.outbox[0], "signup/confirm")
    requester = requester_register(email="petra@acme.test", name="Petra")
    client.post(link)
    requester.refresh_from_db()
    assert requester.check_password("long-enough-pass-42")
    assert User.objects.filter(email__iexact="petra@acme.test").count() == 1


def test_confirming_when_an_account_with_a_password_appeared_changes_nothing(client, db):
    client.post(SIGNUP, FORM)
    link = path_in(mail.outbox[0], "signup/confirm")
    user = User.objects.create_user(email="petra@acme.test", password="their-own-pass-1")
    response = client.post(link, follow=True)
    assert "already exists" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("their-own-pass-1")
    assert "_auth_user_id" not in client.session


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


def test_sign_up_can_be_switched_off(client, db):
    settings = SiteSettings.current()
    settings.allow_signup = False
    settings.save()
    assert client.get(SIGNUP).status_code == 404
    assert client.post(SIGNUP, FORM).status_code == 404
    assert reverse("accounts:signup") not in client.get(reverse("accounts:login")).content.decode()
    assert mail.outbox == []
