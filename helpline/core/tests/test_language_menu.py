"""The language menu on the portal and sign-in pages: Django's set_language behind a POST form."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

SET_LANGUAGE = reverse("set_language")
COOKIE = settings.LANGUAGE_COOKIE_NAME


def menu(html: str) -> str:
    found = re.search(r'<form class="hl-language-menu.*?</form>', html, re.S)
    assert found, "no language menu on the page"
    return found.group(0)


@pytest.mark.parametrize(
    "url", [reverse("portal:home"), reverse("accounts:login"), reverse("accounts:password_reset")]
)
def test_anonymous_visitors_find_a_language_menu(client, db, url):
    form = menu(client.get(url).content.decode())
    assert f'method="post" action="{SET_LANGUAGE}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'name="next" value="{url}"' in form
    # Each language is offered in its own name, so a visitor finds theirs whatever is shown.
    buttons = re.findall(r'name="language" value="(\w+)" lang="\w+"[^>]*>([^<]+)<', form)
    assert buttons == [("en", "English"), ("nb", "norsk (bokmål)"), ("ru", "Русский")]


def test_the_current_language_is_marked(client, db):
    client.cookies[COOKIE] = "ru"
    form = menu(client.get(reverse("accounts:login")).content.decode())
    assert re.findall(r'value="(\w+)" lang="\w+" aria-current="true"', form) == ["ru"]


def test_signed_in_requesters_have_it_in_the_portal_footer(client, requester_a):
    client.force_login(requester_a)
    assert 'name="language"' in menu(client.get(reverse("portal:requests")).content.decode())


def test_choosing_a_language_sets_the_cookie_and_returns_to_the_page(client, db):
    response = client.post(SET_LANGUAGE, {"language": "nb", "next": reverse("accounts:login")})
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert response.cookies[COOKIE].value == "nb"
    assert '<html lang="nb"' in client.get(response.url).content.decode()


def test_an_unknown_language_or_a_foreign_next_changes_nothing_harmful(client, db):
    response = client.post(SET_LANGUAGE, {"language": "xx", "next": "https://evil.test/"})
    assert response.status_code == 302 and response.url == "/"
    assert COOKIE not in response.cookies


def test_the_menu_needs_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post(SET_LANGUAGE, {"language": "nb"}).status_code == 403
    page = client.get(reverse("accounts:login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', menu(page)).group(1)
    response = client.post(SET_LANGUAGE, {"language": "nb", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "nb"


def test_a_language_chosen_before_signing_in_stays_without_a_profile_language(client, requester_a):
    client.post(SET_LANGUAGE, {"language": "ru"})
    response = client.post(
        reverse("accounts:login"), {"login": requester_a.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and COOKIE not in response.cookies
    assert '<html lang="ru"' in client.get(reverse("portal:requests")).content.decode()


def test_the_profile_language_wins_at_sign_in(client, requester_a):
    requester_a.language = "nb"
    requester_a.save()
    client.post(SET_LANGUAGE, {"language": "ru"})
    client.post(reverse("accounts:login"), {"login": requester_a.email, "password": PASSWORD})
    assert '<html lang="nb"' in client.get(reverse("portal:requests")).content.decode()
