"""The administrators' "require two-step sign-in" setting, for all staff and per role, enforced in
one place (MfaPolicyMiddleware) for every page the project resolves."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import PASSWORD
from helpline.accounts.models import Role
from helpline.accounts.tests.test_mfa import SECOND_STEP, code, enrol_totp
from helpline.audit.models import Event
from helpline.core.models import SiteSettings

ENROL = reverse("mfa_index")


def _every_path(patterns=None, prefix: str = "") -> list[str]:
    """One concrete path per URL pattern of the project, arguments filled with placeholders
    (the middleware answers before any view looks them up)."""
    paths = []
    for item in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(item.pattern)
        if isinstance(item, URLResolver):
            paths += _every_path(item.url_patterns, prefix + route)
        elif isinstance(item, URLPattern):
            full = re.sub(r"<(?:\w+:)?\w+>", "x", re.sub(r"<int:\w+>", "1", prefix + route))
            if full.startswith("^") or "(?P" in full:
                continue  # regex routes live under /accounts/ (password reset and sign-up keys)
            paths.append("/" + full)
    return sorted(set(paths))


PATHS = _every_path()
PROTECTED = [path for path in PATHS if not path.startswith(("/accounts/", "/i18n/", "/healthz"))]


def require(**fields):
    site = SiteSettings.current()
    for name, value in fields.items():
        setattr(site, name, value)
    site.save()


def sign_in(client, user):
    return client.post(reverse("accounts:login"), {"login": user.email, "password": PASSWORD})


def test_the_walk_covers_every_area():
    for area in ("/desk/", "/manage/", "/"):
        assert any(path.startswith(area) for path in PROTECTED), area
    assert "/desk/" in PROTECTED and "/manage/" in PROTECTED
    assert len(PROTECTED) > 30


def test_every_page_outside_the_account_pages_sends_an_unenrolled_staff_member_to_enrol(
    client, dispatcher
):
    require(mfa_required_staff=True)
    client.force_login(dispatcher)
    for path in PROTECTED:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, (method.__name__, path, response.status_code)
            assert response.url == ENROL, (path, response.url)
    # htmx fragments get a full-page redirect, never the enrolment page in a fragment
    fragment = client.get(reverse("desk:board"), headers={"HX-Request": "true"})
    assert fragment.status_code == 204 and fragment["HX-Redirect"] == ENROL
    # the account pages stay open: enrolment, profile, sign-out
    assert client.get(ENROL).status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_sign_in_leads_to_enrolment_then_to_the_desk(client, dispatcher):
    # Given the requirement, a staff member without an authenticator signs in
    require(mfa_required_staff=True)
    response = sign_in(client, dispatcher)
    response = client.get(response.url)
    assert response.status_code == 302 and response.url == ENROL
    page = client.get(ENROL).content.decode()
    assert "requires two-step sign-in" in page
    # When they set up an app
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": code(secret)})
    # Then the desk opens
    assert client.get(reverse("desk:board")).status_code == 200
    assert client.get(reverse("manage:index")).status_code == 404  # an agent, not an admin


def test_required_per_role(client, dispatcher, admin_user, requester_a):
    require(mfa_required_roles=[Role.ADMIN])
    client.force_login(admin_user)
    assert client.get(reverse("manage:index")).url == ENROL
    assert client.get(reverse("desk:board")).url == ENROL
    client.force_login(dispatcher)
    assert client.get(reverse("desk:board")).status_code == 200
    client.force_login(requester_a)
    assert client.get(reverse("portal:home")).status_code in {200, 302}
    assert client.get(reverse("portal:home")).get("Location") != ENROL


def test_enrolled_staff_pass(client, dispatcher):
    require(mfa_required_staff=True)
    secret, _codes = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    client.post(SECOND_STEP, {"code": code(secret)})
    assert client.get(reverse("desk:board")).status_code == 200


def test_not_required_by_default(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("desk:board")).status_code == 200


def test_the_last_authenticator_stays_while_it_is_required(client, dispatcher):
    require(mfa_required_staff=True)
    secret, _codes = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    client.post(SECOND_STEP, {"code": code(secret)})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200 and "required for your role" in response.content.decode()


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor", "admin_user", "external"])
def test_the_settings_page_saves_the_requirement(client, admin_user, request, persona):
    client.force_login(admin_user)
    form = client.get(reverse("manage:settings")).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update(mfa_required_staff="", mfa_required_roles=[Role.SUPERVISOR, Role.EXTERNAL])
    data.pop("mfa_required_staff")
    response = client.post(reverse("manage:settings"), data)
    assert response.status_code == 302, response.context["form"].errors
    site = SiteSettings.current()
    assert site.mfa_required_roles == [Role.SUPERVISOR, Role.EXTERNAL]
    assert not site.mfa_required_staff
    event = Event.objects.get(action="settings.changed")
    assert event.changes["mfa_required_roles"] == [[], ["external", "supervisor"]]
    person = request.getfixturevalue(persona)
    client.force_login(person)
    expected_enrol = person.role in {Role.SUPERVISOR, Role.EXTERNAL}
    assert (client.get(reverse("desk:board")).get("Location") == ENROL) is expected_enrol


def test_requester_roles_cannot_be_required(admin_user):
    from helpline.administration.services import site_settings_update
    from helpline.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        site_settings_update(actor=admin_user, mfa_required_roles=[Role.REQUESTER])


def test_the_last_key_stays_while_it_is_required(client, dispatcher):
    from allauth.mfa.webauthn.internal.auth import WebAuthn

    require(mfa_required_staff=True)
    secret, _codes = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    client.post(SECOND_STEP, {"code": code(secret)})
    key = WebAuthn.add(dispatcher, "Laptop", {"id": "x"}).instance
    remove = reverse("mfa_remove_webauthn", kwargs={"pk": key.pk})
    # Once the app is gone, the key is the last one: it stays while required.
    Authenticator.objects.filter(user=dispatcher, type=Authenticator.Type.TOTP).delete()
    response = client.post(remove)
    assert response.status_code == 302 and response.url == reverse("mfa_list_webauthn")
    assert Authenticator.objects.filter(pk=key.pk).exists()
    require(mfa_required_staff=False)
    client.post(remove)
    assert not Authenticator.objects.filter(pk=key.pk).exists()
