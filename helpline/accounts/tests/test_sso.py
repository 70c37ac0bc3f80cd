"""Single sign-on for staff through OpenID Connect, against a small provider run on loopback.

The provider serves discovery, JWKS, the token endpoint (an RS256-signed id_token) and userinfo;
the test plays the browser with Django's client: the sign-in button's redirect to the provider's
authorize endpoint, then the provider's redirect back with a code.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from helpline.accounts.models import Role, User
from helpline.accounts.tests.factories import StaffFactory
from helpline.accounts.tests.test_mfa import SECOND_STEP, code, enrol_totp
from helpline.audit.models import Event
from helpline.config.sso import SSOConfigError, form_action_origins, providers_from_environment
from helpline.core.reference import changed as reference_changed

CLIENT_ID = "helpline-desk"
CLIENT_SECRET = "provider-secret"  # noqa: S105 (the fake provider's)


class FakeProvider:
    """An OpenID Connect provider on 127.0.0.1 that issues what the test registers per code."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    return self._json(provider.discovery)
                if path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    return self._json({"keys": [{**jwk, "kid": provider.kid, "use": "sig"}]})
                if path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.codes.get(token.removeprefix("at-"))
                    if claims is None:
                        return self._json({"error": "invalid_token"}, 401)
                    return self._json(
                        {k: v for k, v in claims.items() if k not in {"aud", "iss", "nonce"}}
                    )
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                claims = provider.codes.get(form.get("code", ""))
                if (
                    urlsplit(self.path).path != "/token"
                    or claims is None
                    or form.get("client_secret") != CLIENT_SECRET
                    or not form.get("code_verifier")
                ):
                    return self._json({"error": "invalid_grant"}, 400)
                now = int(time.time())
                id_token = jwt.encode(
                    {"iat": now, "exp": now + 300, **claims},
                    provider.key,
                    algorithm="RS256",
                    headers={"kid": provider.kid},
                )
                return self._json(
                    {
                        "access_token": f"at-{form['code']}",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": id_token,
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.discovery = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def issue(self, authorize_url: str, **claims) -> tuple[str, str]:
        """Register what the provider says for the next code; returns (code, state)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query.get("code_challenge_method") == "S256"
        grant = uuid.uuid4().hex
        self.codes[grant] = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": claims.pop("sub", "user-1"),
            **({"nonce": query["nonce"]} if "nonce" in query else {}),
            **claims,
        }
        return grant, query["state"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(db, settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    fake = FakeProvider()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "corp",
                    "name": "Corp ID",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": fake.url, "trust_email": False},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    yield fake
    fake.close()


def sso_sign_in(client, provider, **claims):
    """Press the button, let the provider answer, come back: the callback's response."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "corp"}))
    assert start.status_code == 302 and start.url.startswith(f"{provider.url}/authorize?")
    grant, state = provider.issue(start.url, **claims)
    return client.get(
        reverse("openid_connect_callback", kwargs={"provider_id": "corp"}),
        {"code": grant, "state": state},
    )


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_the_sign_in_page_offers_the_provider(client, provider):
    html = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in with Corp ID" in html
    assert reverse("openid_connect_login", kwargs={"provider_id": "corp"}) in html


def test_no_provider_no_button(client, db):
    assert "data-sso=" not in client.get(reverse("accounts:login")).content.decode()


def test_staff_sign_in_with_their_proved_address(client, provider, dispatcher):
    response = sso_sign_in(
        client, provider, email=dispatcher.email.upper(), email_verified=True, sub="dana"
    )
    assert response.status_code == 302, response.content[:500]
    assert signed_in_as(client) == str(dispatcher.pk)
    assert client.get(reverse("desk:board")).status_code == 200
    assert provider.token_requests[-1]["code_verifier"]
    link = SocialAccount.objects.get(user=dispatcher)
    assert (link.provider, link.uid) == ("corp", "dana")
    assert Event.objects.filter(action="auth.sso_connected", actor=dispatcher).exists()
    assert Event.objects.get(action="auth.sso_login").changes == {"provider": "corp"}
    assert Event.objects.filter(action="auth.login", actor=dispatcher).exists()
    # Later sign-ins follow the link, whatever address the provider sends.
    client.post(reverse("accounts:logout"))
    again = sso_sign_in(
        client, provider, email="renamed@corp.test", email_verified=True, sub="dana"
    )
    assert again.status_code == 302 and signed_in_as(client) == str(dispatcher.pk)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"email": "alice@acme.test", "email_verified": True}, "no_staff_account"),
        ({"email": "stranger@corp.test", "email_verified": True}, "no_staff_account"),
        ({"email": "dispatcher@desk.test", "email_verified": False}, "address_not_verified"),
        ({"email": "dispatcher@desk.test"}, "address_not_verified"),
    ],
)
def test_sso_never_creates_or_promotes(client, provider, dispatcher, requester_a, claims, reason):
    people = User.objects.count()
    response = sso_sign_in(client, provider, **claims)
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert signed_in_as(client) is None
    assert User.objects.count() == people
    requester_a.refresh_from_db()
    assert requester_a.role == Role.REQUESTER
    assert not SocialAccount.objects.exists()
    refused = Event.objects.get(action="auth.sso_refused")
    assert refused.changes["reason"] == reason and refused.changes["provider"] == "corp"
    assert "Single sign-on is for staff" in client.get(response.url).content.decode()


def test_a_provider_trusted_for_addresses(client, provider, settings, dispatcher):
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"]["trust_email"] = True
    response = sso_sign_in(client, provider, email=dispatcher.email)
    assert response.status_code == 302 and signed_in_as(client) == str(dispatcher.pk)


def test_deactivated_staff_are_refused(client, provider):
    gone = StaffFactory(email="gone@desk.test", is_active=False)
    sso_sign_in(client, provider, email=gone.email, email_verified=True)
    assert signed_in_as(client) is None
    assert Event.objects.filter(action="auth.sso_refused").exists()


def test_a_linked_account_that_is_no_longer_staff_is_refused(client, provider, dispatcher):
    sso_sign_in(client, provider, email=dispatcher.email, email_verified=True, sub="dana")
    client.post(reverse("accounts:logout"))
    User.objects.filter(pk=dispatcher.pk).update(role=Role.REQUESTER)
    reference_changed()  # a queryset update sends no signal; services save
    sso_sign_in(client, provider, email=dispatcher.email, email_verified=True, sub="dana")
    assert signed_in_as(client) is None
    assert Event.objects.filter(action="auth.sso_refused", changes__reason="not_staff").exists()


def test_staff_with_two_step_sign_in_still_pass_it(client, provider, dispatcher):
    secret, _codes = enrol_totp(dispatcher)
    response = sso_sign_in(client, provider, email=dispatcher.email, email_verified=True)
    assert response.status_code == 302 and response.url == SECOND_STEP
    assert signed_in_as(client) is None
    client.post(SECOND_STEP, {"code": code(secret)})
    assert signed_in_as(client) == str(dispatcher.pk)


def test_a_forged_callback_is_refused_and_logged(client, provider, dispatcher):
    client.post(reverse("openid_connect_login", kwargs={"provider_id": "corp"}))
    response = client.get(
        reverse("openid_connect_callback", kwargs={"provider_id": "corp"}),
        {"code": "made-up", "state": "made-up"},
    )
    assert response.status_code == 302 and signed_in_as(client) is None
    assert Event.objects.filter(action="auth.sso_failed").exists()


# --- configuration from the environment --------------------------------------------------------


def test_one_provider_from_separate_variables():
    providers = providers_from_environment(
        {
            "HELPLINE_OIDC_NAME": "Microsoft",
            "HELPLINE_OIDC_ID": "entra",
            "HELPLINE_OIDC_CLIENT_ID": "abc",
            "HELPLINE_OIDC_SECRET": "xyz",
            "HELPLINE_OIDC_SERVER_URL": "https://login.microsoftonline.com/tenant/v2.0/",
        }
    )
    assert providers == [
        {
            "provider_id": "entra",
            "name": "Microsoft",
            "client_id": "abc",
            "secret": "xyz",
            "settings": {
                "server_url": "https://login.microsoftonline.com/tenant/v2.0",
                "trust_email": False,
            },
        }
    ]
    assert form_action_origins(providers) == ["https://login.microsoftonline.com"]


def test_several_providers_as_json():
    raw = json.dumps(
        [
            {
                "id": "google",
                "name": "Google",
                "client_id": "g",
                "server_url": "https://accounts.google.com",
            },
            {"id": "kc", "client_id": "k", "server_url": "https://sso.example.org/realms/x"},
        ]
    )
    providers = providers_from_environment({"HELPLINE_OIDC_PROVIDERS": raw})
    assert [p["provider_id"] for p in providers] == ["google", "kc"]
    assert providers_from_environment({}) == []


@pytest.mark.parametrize(
    "environ",
    [
        {"HELPLINE_OIDC_PROVIDERS": "not json"},
        {"HELPLINE_OIDC_PROVIDERS": '[{"id": "a", "client_id": "x"}]'},
        {"HELPLINE_OIDC_PROVIDERS": '[{"id": "a b", "client_id": "x", "server_url": "https://a"}]'},
        {"HELPLINE_OIDC_CLIENT_ID": "x", "HELPLINE_OIDC_SERVER_URL": "ftp://a"},
        {
            "HELPLINE_OIDC_PROVIDERS": json.dumps(
                [{"id": "a", "client_id": "x", "server_url": "https://a"}] * 2
            )
        },
    ],
)
def test_wrong_configuration_stops_the_start(environ):
    with pytest.raises(SSOConfigError):
        providers_from_environment(environ)
