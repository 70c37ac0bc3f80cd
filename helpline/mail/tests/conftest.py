"""A real SMTP server on loopback (aiosmtpd) for the delivery tests, and a port nobody serves."""

import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

QUEUED = "helpline.mail.backends.QueuedEmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Sink:
    """Accepts every message (or answers `refuse`, e.g. "550 no such user", to recipients)."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink(settings):
    """Mail queued by pages, delivered by SMTP to a loopback server the test reads."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = QUEUED
    settings.EMAIL_DELIVERY_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Mail queued by pages, delivered by SMTP to a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = QUEUED
    settings.EMAIL_DELIVERY_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return settings


# --- Dovecot (IMAP, POP3) and the fake OAuth2 provider, one each per test session -------------


@pytest.fixture(scope="session")
def oauth_provider_server():
    from .oauth_provider import provider_running

    with provider_running() as provider:
        yield provider


@pytest.fixture
def oauth_provider(oauth_provider_server):
    """The provider's side of OAuth2 (authorise, token, introspection), reset for each test."""
    provider = oauth_provider_server
    provider.expires_in, provider.refuse_refresh = 3600, False
    provider.grants.clear()
    return provider


@pytest.fixture(scope="session")
def dovecot_server(oauth_provider_server):
    from .dovecot import dovecot_running

    with dovecot_running(oauth_provider_server.introspection_url) as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server):
    """A real Dovecot on loopback; `dovecot.account()` makes a fresh mail account."""
    return dovecot_server
