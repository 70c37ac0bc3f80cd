"""A small OAuth2 provider on loopback standing in for Google or Microsoft in the tests: the
authorisation page (approves at once for the `login_hint` address), the token endpoint
(authorization_code and refresh_token grants, client secret checked) and the RFC 7662
introspection endpoint Dovecot asks to check XOAUTH2 bearer tokens. This is the provider's
side of the flow, not Helpline's code."""

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "helpline-test-client"
CLIENT_SECRET = "provider-secret-42"  # noqa: S105 - the fake provider's own


@dataclass
class Provider:
    base_url: str = ""
    expires_in: int = 3600
    codes: dict[str, dict] = field(default_factory=dict)
    # access token -> (address, expiry as time.time())
    access: dict[str, tuple[str, float]] = field(default_factory=dict)
    refresh: dict[str, str] = field(default_factory=dict)
    grants: list[str] = field(default_factory=list)
    refuse_refresh: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def introspection_url(self) -> str:
        return f"{self.base_url}/introspect"

    def issue(self, address: str) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = (address, time.time() + self.expires_in)
        self.refresh[refresh] = address
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "scope": "mail",
        }

    def revoke_access(self) -> None:
        """Every access token stops working (as they do at expiry); refresh tokens still do."""
        self.access.clear()


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format, *args):  # noqa: A002 - quiet test server
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        fields = parse_qs(self.rfile.read(length).decode())
        return {name: values[0] for name, values in fields.items()}

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/authorize":
            self._json(404, {"error": "not_found"})
            return
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            self._json(400, {"error": "invalid_request"})
            return
        code = secrets.token_urlsafe(16)
        with self.provider.lock:
            self.provider.codes[code] = {
                "address": query.get("login_hint", ""),
                "redirect_uri": query["redirect_uri"],
                "scope": query.get("scope", ""),
            }
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        self.send_response(302)
        self.send_header("Location", target)
        self.end_headers()

    def do_POST(self):  # noqa: N802
        path = urlsplit(self.path).path
        form = self._form()
        provider = self.provider
        with provider.lock:
            if path == "/introspect":
                address, expiry = provider.access.get(form.get("token", ""), ("", 0))
                active = bool(address) and expiry > time.time()
                body: dict = {"active": "true" if active else "false"}
                if active:
                    body["email"] = address
                self._json(200, body)
                return
            if path != "/token":
                self._json(404, {"error": "not_found"})
                return
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                self._json(401, {"error": "invalid_client"})
                return
            grant = form.get("grant_type")
            provider.grants.append(grant or "")
            if grant == "authorization_code":
                issued = provider.codes.pop(form.get("code", ""), None)
                if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(200, provider.issue(issued["address"]))
                return
            if grant == "refresh_token":
                address = provider.refresh.get(form.get("refresh_token", ""))
                if address is None or provider.refuse_refresh:
                    self._json(400, {"error": "invalid_grant", "error_description": "revoked"})
                    return
                body = provider.issue(address)
                del body["refresh_token"]  # Google keeps the refresh token unchanged
                self._json(200, body)
                return
            self._json(400, {"error": "unsupported_grant_type"})


class provider_running:  # noqa: N801 - used as a context manager like the others
    def __enter__(self) -> Provider:
        provider = Provider()
        handler = type("Handler", (_Handler,), {"provider": provider})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        provider.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return provider

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
