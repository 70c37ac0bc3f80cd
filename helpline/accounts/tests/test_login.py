"""Signing in and out: landing pages, event log entries, the per-client pause after failures."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from helpline.accounts.tests.factories import UserFactory
from helpline.audit.models import Event

LOGIN = reverse("accounts:login")


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


def test_login_page_names_the_desk_and_offers_a_first_password(client, db):
    html = client.get(LOGIN).content.decode()
    assert "Helpline" in html
    assert "Never had a password?" in html and reverse("accounts:password_reset") in html
    assert reverse("accounts:signup") in html
    # The fields the e2e page object and password managers look for.
    assert 'name="login"' in html and 'autocomplete="email"' in html
    assert 'name="password"' in html and 'autocomplete="current-password"' in html


def test_sign_in_needs_the_csrf_token(requester_a):
    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, requester_a.email)
    assert response.status_code == 403
    page = client.get(LOGIN)
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        LOGIN, {"login": requester_a.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("persona", "landing"),
    [("requester_a", "portal:requests"), ("dispatcher", "desk:board")],
)
def test_sign_in_lands_on_the_persons_side(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    response = sign_in(client, user.email.upper())
    assert response.status_code == 302 and response.url == reverse("core:home")
    assert client.get(response.url).url == reverse(landing)
    assert Event.objects.filter(action="auth.login", actor=user).count() == 1


def test_next_is_respected_but_only_on_this_site(client, requester_a):
    response = client.post(
        LOGIN, {"login": requester_a.email, "password": PASSWORD, "next": "/requests/"}
    )
    assert response.url == "/requests/"
    client.post(reverse("accounts:logout"))
    response = client.post(
        LOGIN,
        {"login": requester_a.email, "password": PASSWORD, "next": "https://evil.test/"},
    )
    assert response.url == reverse("core:home")


def test_failed_sign_in_is_logged_with_the_address_never_the_password(client, requester_a):
    response = sign_in(client, requester_a.email, "wrong-guess-987")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    event = Event.objects.get(action="auth.login_failed")
    assert event.changes == {"email": requester_a.email}
    assert event.actor is None and event.ip == "127.0.0.1"
    assert "wrong-guess-987" not in str(event.changes) + event.object_repr


def test_failed_sign_in_for_an_unknown_address_is_logged_too(client, db):
    sign_in(client, "nobody@nowhere.test", "whatever")
    assert Event.objects.get(action="auth.login_failed").changes["email"] == ("nobody@nowhere.test")


def test_sign_out_is_post_only_and_logged(client, requester_a):
    client.force_login(requester_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("portal:requests")).status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert Event.objects.filter(action="auth.logout", actor=requester_a).count() == 1
    assert client.get(reverse("portal:requests")).status_code == 302


def test_sixth_attempt_from_the_same_client_is_refused_even_with_the_right_password(
    client, requester_a
):
    for _attempt in range(5):
        sign_in(client, requester_a.email, "wrong-guess")
    response = sign_in(client, requester_a.email)
    assert response.status_code == 200
    assert "signing in from here is paused" in response.content.decode()
    assert "_auth_user_id" not in client.session
    refused = Event.objects.filter(action="auth.login_failed").order_by("id").last()
    assert refused.changes == {"email": requester_a.email, "reason": "throttled"}


def test_guesses_from_one_client_never_lock_the_owner_out_elsewhere(requester_a):
    # Given a stranger at 10.0.0.66 who tries ten wrong passwords for Alice's address
    stranger = Client(REMOTE_ADDR="10.0.0.66")
    for _attempt in range(10):
        sign_in(stranger, requester_a.email, "wrong-guess")
    assert "paused" in sign_in(stranger, requester_a.email).content.decode()
    # When Alice signs in from her own device
    owner = Client(REMOTE_ADDR="192.0.2.10")
    response = sign_in(owner, requester_a.email)
    # Then she is in
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(requester_a.pk)


def test_the_client_address_is_the_one_trusted_proxies_report(client, requester_a, settings):
    settings.TRUSTED_PROXIES = 1
    for _attempt in range(5):
        sign_in(client, requester_a.email, "wrong-guess", HTTP_X_FORWARDED_FOR="198.51.100.7")
    blocked = sign_in(client, requester_a.email, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert "paused" in blocked.content.decode()
    # Same proxy (REMOTE_ADDR), another client behind it.
    other = sign_in(client, requester_a.email, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 302


def test_pause_ends_after_fifteen_minutes(client, requester_a, time_machine):
    time_machine.move_to("2030-01-01 10:00Z", tick=False)
    for _attempt in range(5):
        sign_in(client, requester_a.email, "wrong-guess")
    time_machine.move_to("2030-01-01 10:14Z", tick=False)
    assert "paused" in sign_in(client, requester_a.email).content.decode()
    time_machine.move_to("2030-01-01 10:16Z", tick=False)
    assert sign_in(client, requester_a.email).status_code == 302


def test_one_client_guessing_many_addresses_is_paused(client, requester_a):
    for n in range(20):
        sign_in(client, f"guess{n}@acme.test", "wrong-guess")
    assert "paused" in sign_in(client, requester_a.email).content.decode()
    other_client = sign_in(client, requester_a.email, REMOTE_ADDR="10.0.0.9")
    assert other_client.status_code == 302


def test_a_good_sign_in_does_not_count_as_a_failure(client, requester_a):
    for _attempt in range(4):
        sign_in(client, requester_a.email, "wrong-guess")
    assert sign_in(client, requester_a.email).status_code == 302


def test_inactive_people_cannot_sign_in(client, requester_a):
    requester_a.is_active = False
    requester_a.save()
    # A wrong password is just wrong; the right one learns that the account is closed.
    assert sign_in(client, requester_a.email, "wrong-guess").status_code == 200
    response = sign_in(client, requester_a.email, follow=True)
    assert "This account is closed" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_passwordless_requester_cannot_sign_in(client, requester_a):
    requester_a.set_unusable_password()
    requester_a.save()
    assert sign_in(client, requester_a.email, "").status_code == 200
    assert sign_in(client, requester_a.email, "!").status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_address_cannot_sign_in_and_gets_a_confirmation_mail(client, db, mailoutbox):
    user = UserFactory(email="pending@acme.test", email_verified=False)
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert "_auth_user_id" not in client.session
    assert mailoutbox[0].to == [user.email] and "/accounts/signup/confirm/" in mailoutbox[0].body


def test_another_address_of_the_person_signs_in_too(client, requester_a):
    from helpline.accounts.addresses import address_add

    address_add(user=requester_a, email="alice.private@mail.test", verified=True)
    assert sign_in(client, "alice.private@mail.test").status_code == 302


def test_sign_in_applies_the_chosen_language(client, requester_a):
    requester_a.language = "nb"
    requester_a.save()
    response = sign_in(client, requester_a.email)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"


def test_signed_in_people_skip_the_login_page(client, requester_a):
    client.force_login(requester_a)
    assert client.get(LOGIN).status_code == 302
