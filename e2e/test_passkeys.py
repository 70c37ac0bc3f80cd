"""Journey: a staff member adds a passkey and signs in with it, in Chromium with a virtual
authenticator (the Chrome DevTools Protocol's WebAuthn domain stands in for a real key)."""

import re

import pytest
from allauth.mfa.models import Authenticator

from conftest import PASSWORD
from e2e.console import csp_violations, script_errors
from e2e.pages.login import LoginPage
from e2e.pages.security import SecondStepPage, SecurityPage
from helpline.audit.models import Event


@pytest.fixture
def virtual_key():
    """virtual_key(page): a platform authenticator with resident keys and user verification."""

    def attach(page):
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        return cdp

    return attach


def test_staff_add_a_passkey_and_sign_in_with_it(
    open_as, dispatcher, virtual_key, browser_errors, screenshot
):
    # Given a staff member signed in with their password, on a browser with a passkey store
    page = open_as(dispatcher)
    virtual_key(page)

    # When they add a passkey from their security page
    SecurityPage(page).open().add_passkey("Laptop")
    screenshot(page, "mfa-recovery-codes")
    key = Authenticator.objects.get(user=dispatcher, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Laptop" and key.wrap().is_passwordless
    assert Event.objects.filter(
        action="mfa.authenticator_added", actor=dispatcher, changes__type="webauthn"
    ).exists()

    # Then signing in with the password asks for the key as the second step
    page.context.clear_cookies()
    LoginPage(page).submit(dispatcher.email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(SecondStepPage.path)))
    screenshot(page, "mfa-second-step")
    SecondStepPage(page).use_key()
    assert "/desk/" in page.url

    # And the passkey alone signs them in from the sign-in page
    page.context.clear_cookies()
    LoginPage(page).sign_in_with_passkey()
    page.wait_for_url(re.compile(r"/desk/"))
    assert Event.objects.filter(
        action="auth.mfa_succeeded", actor=dispatcher, changes__passwordless=True
    ).exists()
    assert Event.objects.filter(
        action="auth.mfa_succeeded", actor=dispatcher, changes__passwordless=False
    ).exists()
    assert not csp_violations(browser_errors), browser_errors
    assert not script_errors(browser_errors), browser_errors
