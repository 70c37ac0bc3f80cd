"""Password reset, which is also how a requester registered from a request sets a first one."""

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from helpline.accounts import views
from helpline.accounts.services import requester_register
from helpline.audit.models import Event

RESET = reverse("accounts:password_reset")
CSRF = r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"'
NEW = {"password1": "brand-new-pass-77", "password2": "brand-new-pass-77"}


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)


def test_reset_mail_is_sent_and_sets_a_new_password(client, requester_a):
    response = client.post(RESET, {"email": "ALICE@acme.test"})
    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [requester_a.email] and "Helpline" in message.subject
    # The key leaves the address bar before the form is shown (no leak through Referer).
    form_url = client.get(link_in(message)).url
    assert "set-password" in form_url
    response = client.post(form_url, NEW)
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    requester_a.refresh_from_db()
    assert requester_a.check_password("brand-new-pass-77")
    # Signed in straight away, and both the change and the sign-in are logged.
    assert client.session["_auth_user_id"] == str(requester_a.pk)
    assert Event.objects.filter(action="auth.login", actor=requester_a).exists()
    changed = Event.objects.get(action="auth.password_changed", actor=requester_a)
    assert changed.changes == {"by": "reset"}
    assert "You are signed in" in client.get(response.url).content.decode()


def test_auto_registered_requester_sets_a_first_password(client, support):
    requester = requester_register(email="petra@initech.test", name="Petra Hansen")
    assert not requester.has_usable_password()
    assert not EmailAddress.objects.get(user=requester).verified
    client.post(RESET, {"email": "petra@initech.test"})
    assert len(mail.outbox) == 1
    form_url = client.get(link_in(mail.outbox[0])).url
    client.post(form_url, {"password1": "first-pass-4711", "password2": "first-pass-4711"})
    requester.refresh_from_db()
    assert requester.check_password("first-pass-4711")
    assert EmailAddress.objects.get(user=requester).verified
    client.post(reverse("accounts:logout"))
    response = client.post(
        reverse("accounts:login"), {"login": "petra@initech.test", "password": "first-pass-4711"}
    )
    assert response.status_code == 302 and response.url == reverse("core:home")


def test_known_unknown_and_inactive_addresses_take_the_same_path(requester_a, requester_b):
    # Structure instead of a stopwatch: the same view, the same redirect, one mail each, and
    # no link to set a password for anyone but the active owner.
    requester_b.is_active = False
    requester_b.save()
    answers = []
    for email in (requester_a.email, "nobody@nowhere.test", requester_b.email):
        client = Client()
        response = client.post(RESET, {"email": email})
        assert response.resolver_match.func.view_class is views.PasswordResetView
        answers.append((response.status_code, response.url))
        page = client.get(response.url)
        answers.append(re.sub(CSRF, "", page.content.decode()))
    assert answers[0::2] == [(302, reverse("accounts:password_reset_done"))] * 3
    assert answers[1] == answers[3] == answers[5]
    sent_to = [m.to for m in mail.outbox]
    assert sent_to == [["alice@acme.test"], ["nobody@nowhere.test"], ["bob@globex.test"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert all("/password/reset/key/" not in m.body for m in mail.outbox[1:])


def test_only_the_primary_address_receives_a_reset_link(client, requester_a):
    from helpline.accounts.addresses import address_add

    address_add(user=requester_a, email="alice.other@mail.test")
    client.post(RESET, {"email": "alice.other@mail.test"})
    assert "/password/reset/key/" not in mail.outbox[0].body


def test_resets_are_limited_per_address_and_per_client(requester_a):
    for n in range(3):
        Client(REMOTE_ADDR=f"10.1.0.{n}").post(RESET, {"email": requester_a.email})
    response = Client(REMOTE_ADDR="10.1.0.9").post(RESET, {"email": requester_a.email})
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    client = Client(REMOTE_ADDR="10.2.0.1")
    for n in range(10):
        client.post(RESET, {"email": f"someone{n}@acme.test"})
    assert client.post(RESET, {"email": "more@acme.test"}).status_code == 429
    assert len(mail.outbox) == 13


def test_a_used_link_no_longer_works(client, requester_a):
    client.post(RESET, {"email": requester_a.email})
    link = link_in(mail.outbox[0])
    form_url = client.get(link).url
    client.post(form_url, NEW)
    client.post(reverse("accounts:logout"))
    response = client.get(link, follow=True)
    assert "This link no longer works" in response.content.decode()


def test_weak_or_mismatched_passwords_are_refused(client, requester_a):
    client.post(RESET, {"email": requester_a.email})
    form_url = client.get(link_in(mail.outbox[0])).url
    response = client.post(form_url, {"password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    requester_a.refresh_from_db()
    assert not requester_a.check_password("12345678")


def test_a_reset_forgives_this_clients_failed_sign_ins(client, requester_a):
    for _attempt in range(5):
        client.post(reverse("accounts:login"), {"login": requester_a.email, "password": "x"})
    client.post(RESET, {"email": requester_a.email})
    client.post(client.get(link_in(mail.outbox[0])).url, NEW)
    client.post(reverse("accounts:logout"))
    response = client.post(
        reverse("accounts:login"), {"login": requester_a.email, "password": NEW["password1"]}
    )
    assert response.status_code == 302
