"""The profile page: name, phone and language, with the language applied by cookie."""

from django.conf import settings
from django.urls import reverse

from helpline.audit.models import Event

PROFILE = reverse("accounts:profile")


def test_profile_needs_sign_in(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_profile_saves_and_applies_the_language(client, requester_a):
    client.force_login(requester_a)
    response = client.post(
        PROFILE,
        {"first_name": "Alicia", "last_name": "Berg", "phone": "+47 22 00 00 00", "language": "ru"},
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    requester_a.refresh_from_db()
    assert (requester_a.first_name, requester_a.phone, requester_a.language) == (
        "Alicia",
        "+47 22 00 00 00",
        "ru",
    )
    event = Event.objects.get(action="account.profile_changed")
    assert event.changes["language"] == ["", "ru"]
    assert client.get(PROFILE)["Content-Language"] == "ru"


def test_back_to_the_browser_language_clears_the_cookie(client, requester_a):
    client.force_login(requester_a)
    client.post(PROFILE, {"first_name": "Alice", "language": "nb"})
    response = client.post(PROFILE, {"first_name": "Alice", "language": ""})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""


def test_unknown_language_is_refused(client, requester_a):
    client.force_login(requester_a)
    response = client.post(PROFILE, {"first_name": "Alice", "language": "xx"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    requester_a.refresh_from_db()
    assert requester_a.language == ""
