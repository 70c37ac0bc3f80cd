"""Signing in and out: landing pages, event log entries, the pause after repeated failures."""

import pytest
from django.conf import settings
from django.urls import reverse

from conftest import PASSWORD
from helpline.audit.models import Event

LOGIN = reverse("accounts:login")


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def test_login_page_names_the_desk_and_offers_a_first_password(client, db):
    html = client.get(LOGIN).content.decode()
    assert "Helpline" in html
    assert "Never had a password?" in html and reverse("accounts:password_reset") in html
    assert reverse("accounts:signup") in html


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
        LOGIN, {"username": requester_a.email, "password": PASSWORD, "next": "/requests/"}
    )
    assert response.url == "/requests/"
    client.logout()
    response = client.post(
        LOGIN,
        {"username": requester_a.email, "password": PASSWORD, "next": "https://evil.test/"},
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
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert Event.objects.filter(action="auth.logout", actor=requester_a).count() == 1
    assert client.get(reverse("portal:requests")).status_code == 302


def test_sixth_attempt_is_refused_even_with_the_right_password(client, requester_a):
    for _attempt in range(5):
        sign_in(client, requester_a.email, "wrong-guess")
    response = sign_in(client, requester_a.email)
    assert response.status_code == 200
    assert "signing in is paused for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    refused = Event.objects.filter(action="auth.login_failed").order_by("id").last()
    assert refused.changes == {"email": requester_a.email, "reason": "throttled"}


def test_pause_ends_after_fifteen_minutes(client, requester_a, time_machine):
    time_machine.move_to("2030-01-01 10:00Z", tick=False)
    for _attempt in range(5):
        sign_in(client, requester_a.email, "wrong-guess")
    time_machine.move_to("2030-01-01 10:14Z", tick=False)
    assert "paused" in sign_in(client, requester_a.email).content.decode()
    time_machine.move_to("2030-01-01 10:16Z", tick=False)
    assert sign_in(client, requester_a.email).status_code == 302


def test_one_client_guessing_many_addresses_is_paused(client, requester_a):
    for n in range(5):
        sign_in(client, f"guess{n}@acme.test", "wrong-guess")
    assert "paused" in sign_in(client, requester_a.email).content.decode()
    other_client = sign_in(client, requester_a.email, REMOTE_ADDR="10.0.0.9")
    assert other_client.status_code == 302


def test_the_address_is_paused_whatever_the_client(client, requester_a):
    for n in range(5):
        sign_in(client, requester_a.email, "wrong-guess", REMOTE_ADDR=f"10.0.0.{n}")
    response = sign_in(client, requester_a.email, REMOTE_ADDR="10.0.1.1")
    assert "paused" in response.content.decode()


def test_a_good_sign_in_forgives_earlier_typos(client, requester_a):
    for _attempt in range(4):
        sign_in(client, requester_a.email, "wrong-guess", REMOTE_ADDR="10.0.0.1")
    assert sign_in(client, requester_a.email, REMOTE_ADDR="10.0.0.2").status_code == 302
    client.logout()
    for _attempt in range(4):
        sign_in(client, requester_a.email, "wrong-guess", REMOTE_ADDR="10.0.0.3")
    assert sign_in(client, requester_a.email, REMOTE_ADDR="10.0.0.4").status_code == 302


def test_inactive_people_cannot_sign_in(client, requester_a):
    requester_a.is_active = False
    requester_a.save()
    assert sign_in(client, requester_a.email).status_code == 200


def test_a_passwordless_requester_cannot_sign_in(client, requester_a):
    requester_a.set_unusable_password()
    requester_a.save()
    assert sign_in(client, requester_a.email, "").status_code == 200
    assert sign_in(client, requester_a.email, "!").status_code == 200


def test_sign_in_applies_the_chosen_language(client, requester_a):
    requester_a.language = "nb"
    requester_a.save()
    response = sign_in(client, requester_a.email)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nb"


def test_signed_in_people_skip_the_login_page(client, requester_a):
    client.force_login(requester_a)
    assert client.get(LOGIN).status_code == 302
