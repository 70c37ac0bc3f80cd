"""Staff two-step sign-in: enrolment through the pages, the second step, recovery codes, per-client
limits on wrong codes, the events they leave, and the administrators' reset."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from helpline.accounts.mfa import mfa_reset
from helpline.audit.models import Event
from helpline.core.errors import PermissionDenied

LOGIN = reverse("accounts:login")
SECOND_STEP = reverse("mfa_authenticate")


def code(secret: str, offset: int = 0) -> str:
    """The authenticator app's code now (offset: periods later or earlier, all accepted once)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def sign_in(client, user, password=PASSWORD):
    return client.post(LOGIN, {"login": user.email, "password": password})


def enrol_totp(user) -> tuple[str, list[str]]:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    return secret, codes


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- enrolment --------------------------------------------------------------------------------


def test_staff_enrol_an_authenticator_app_through_the_pages(
    client, dispatcher, django_capture_on_commit_callbacks
):
    # Given a staff member who has just signed in with their password
    sign_in(client, dispatcher)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_index") in profile
    page = client.get(reverse("mfa_index"))
    assert page.status_code == 200 and "Authenticator app" in page.content.decode()
    # When they scan the code and type what the app shows
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    secret = setup.context["form"].secret
    html = setup.content.decode()
    assert secret in html and "data:image/svg+xml;base64," in html
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=dispatcher).exists()
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        response = client.post(reverse("mfa_activate_totp"), {"code": code(secret)})
    # Then the app is on, recovery codes were made and shown once, and the log says so
    assert response.status_code == 302 and response.url == reverse("mfa_view_recovery_codes")
    kinds = set(Authenticator.objects.filter(user=dispatcher).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = client.get(response.url)
    unused = RecoveryCodes(
        Authenticator.objects.get(user=dispatcher, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    assert all(item in codes.content.decode() for item in unused)
    added = Event.objects.filter(action="mfa.authenticator_added", object_id=str(dispatcher.pk))
    assert sorted(added.values_list("changes__type", flat=True)) == ["recovery_codes", "totp"]
    assert Event.objects.filter(action="mfa.recovery_codes_viewed", actor=dispatcher).exists()


def test_new_recovery_codes_replace_the_old_ones_and_are_logged(
    client, dispatcher, django_capture_on_commit_callbacks
):
    secret, old = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    client.post(SECOND_STEP, {"code": code(secret)})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    fresh = RecoveryCodes(
        Authenticator.objects.get(user=dispatcher, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    assert set(fresh).isdisjoint(old)
    assert Event.objects.filter(action="mfa.recovery_codes_generated", actor=dispatcher).exists()
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download.status_code == 200 and fresh[0] in download.content.decode()
    assert Event.objects.filter(
        action="mfa.recovery_codes_viewed", actor=dispatcher, changes__download=True
    ).exists()


def test_turning_the_app_off_is_logged(client, dispatcher):
    secret, _codes = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    client.post(SECOND_STEP, {"code": code(secret)})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=dispatcher).exists()
    removed = Event.objects.filter(action="mfa.authenticator_removed", actor=dispatcher)
    assert set(removed.values_list("changes__type", flat=True)) == {"totp", "recovery_codes"}


def test_requesters_do_not_enrol(client, requester_a):
    client.force_login(requester_a)
    for name in ("mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "mfa_list_webauthn"):
        assert client.get(reverse(name)).status_code == 404, name
    assert reverse("mfa_index") not in client.get(reverse("accounts:profile")).content.decode()


# --- the second step --------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_and_logs_it(client, dispatcher):
    secret, _codes = enrol_totp(dispatcher)
    response = sign_in(client, dispatcher)
    assert response.status_code == 302 and response.url == SECOND_STEP
    assert not signed_in(client)
    assert client.get(reverse("desk:board")).status_code == 302  # still signed out
    page = client.get(SECOND_STEP)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post(SECOND_STEP, {"code": code(secret)})
    assert response.status_code == 302 and signed_in(client)
    assert client.get(reverse("desk:board")).status_code == 200
    assert Event.objects.filter(action="auth.mfa_succeeded", actor=dispatcher).count() == 1
    assert Event.objects.filter(action="auth.login", actor=dispatcher).count() == 1


def test_a_wrong_code_is_refused_and_logged(client, dispatcher):
    secret, _codes = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    wrong = "000000" if code(secret) != "000000" else "111111"
    response = client.post(SECOND_STEP, {"code": wrong})
    assert response.status_code == 200 and "Incorrect code" in response.content.decode()
    assert not signed_in(client)
    failed = Event.objects.get(action="auth.mfa_failed")
    assert failed.object_id == str(dispatcher.pk) and failed.actor is None
    assert failed.changes["type"] == "totp"


def test_a_recovery_code_signs_in_once(client, dispatcher):
    _secret, codes = enrol_totp(dispatcher)
    sign_in(client, dispatcher)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 302
    assert signed_in(client)
    assert Event.objects.filter(
        action="auth.mfa_succeeded", changes__type="recovery_codes"
    ).exists()
    # The same code a second time is refused.
    other = Client()
    sign_in(other, dispatcher)
    response = other.post(SECOND_STEP, {"code": codes[0]})
    assert response.status_code == 200 and "_auth_user_id" not in other.session
    # Another one still works.
    assert other.post(SECOND_STEP, {"code": codes[1]}).status_code == 302


def test_a_code_cannot_be_used_twice(client, dispatcher):
    secret, _codes = enrol_totp(dispatcher)
    now = code(secret)
    sign_in(client, dispatcher)
    assert client.post(SECOND_STEP, {"code": now}).status_code == 302
    other = Client()
    sign_in(other, dispatcher)
    assert other.post(SECOND_STEP, {"code": now}).status_code == 200


def test_wrong_codes_pause_that_client_only(dispatcher):
    # Given someone who knows the password, guessing codes from one address
    secret, _codes = enrol_totp(dispatcher)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    sign_in(attacker, dispatcher)
    for _n in range(5):
        attacker.post(SECOND_STEP, {"code": "000000"})
    # Then that client is paused, even with the right code, and the pause is logged
    refused = attacker.post(SECOND_STEP, {"code": code(secret)})
    assert refused.status_code == 200 and "Too many failed attempts" in refused.content.decode()
    assert "_auth_user_id" not in attacker.session
    assert Event.objects.filter(action="auth.mfa_failed", changes__reason="throttled").exists()
    # But the owner, from their own device, signs in
    owner = Client(REMOTE_ADDR="198.51.100.7")
    sign_in(owner, dispatcher)
    assert owner.post(SECOND_STEP, {"code": code(secret, 1)}).status_code == 302
    assert "_auth_user_id" in owner.session


# --- administrators' reset ----------------------------------------------------------------------


def test_administrator_resets_a_lost_phone(client, admin_user, dispatcher):
    secret, _codes = enrol_totp(dispatcher)
    client.force_login(admin_user)
    page = client.get(reverse("manage:staff_edit", args=[dispatcher.pk])).content.decode()
    assert reverse("manage:staff_mfa_reset", args=[dispatcher.pk]) in page
    response = client.post(reverse("manage:staff_mfa_reset", args=[dispatcher.pk]))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=dispatcher).exists()
    event = Event.objects.get(action="mfa.reset")
    assert event.actor == admin_user and event.object_id == str(dispatcher.pk)
    assert event.changes == {"removed": "totp, recovery_codes", "count": 2}
    # The person signs in with the password alone again.
    other = Client()
    assert sign_in(other, dispatcher).url != SECOND_STEP
    assert "_auth_user_id" in other.session


@pytest.mark.parametrize("persona", ["supervisor", "dispatcher"])
def test_only_administrators_reset(client, request, persona, specialist):
    enrol_totp(specialist)
    actor = request.getfixturevalue(persona)
    client.force_login(actor)
    response = client.post(reverse("manage:staff_mfa_reset", args=[specialist.pk]))
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        mfa_reset(user=specialist, actor=actor)
    assert Authenticator.objects.filter(user=specialist).count() == 2


def test_administrators_do_not_reset_their_own(admin_user):
    enrol_totp(admin_user)
    with pytest.raises(PermissionDenied):
        mfa_reset(user=admin_user, actor=admin_user)
    assert Authenticator.objects.filter(user=admin_user).exists()


def test_event_log_names_the_mfa_events(client, admin_user, dispatcher):
    enrol_totp(dispatcher)
    mfa_reset(user=dispatcher, actor=admin_user)
    client.force_login(admin_user)
    html = client.get(reverse("manage:events"), {"action": "mfa."}).content.decode()
    assert "mfa.reset" in html and "Two-step sign-in reset by an administrator" in html
