"""Mailbox connections against the real test Dovecot and a loopback SMTP server: every way to
connect works, and every way to fail names its step (DNS, connection, TLS, sign-in, folder)
without showing a secret."""

import urllib.request

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from helpline.mail.connections import ImapSession, Stage, imap_quote, mailbox_connection_test
from helpline.mail.models import Mailbox
from helpline.mail.oauth import (
    OAuthProblem,
    access_token_fresh,
    authorisation_finish,
    authorisation_start,
)

from .conftest import Sink, free_port
from .oauth_provider import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.django_db


def imap_mailbox(dovecot, account, **fields) -> Mailbox:
    values = {
        "name": f"box-{account.username}",
        "address": account.address,
        "protocol": Mailbox.Protocol.IMAP,
        "host": dovecot.host,
        "port": dovecot.imaps_port,
        "security": Mailbox.Security.TLS,
        "username": account.username,
        "password": account.password,
    } | fields
    return Mailbox.objects.create(**values)


@pytest.fixture
def trusted(settings, dovecot):
    settings.MAIL_TLS_CA_FILE = dovecot.cafile
    settings.MAIL_TIMEOUT = 15
    return settings


def only(results):
    assert len(results) == 1, results
    return results[0]


@pytest.mark.parametrize(
    ("protocol", "security", "port"),
    [
        ("imap", "tls", "imaps_port"),
        ("imap", "starttls", "imap_port"),
        ("imap", "none", "imap_port"),
        ("pop3", "tls", "pop3s_port"),
        ("pop3", "starttls", "pop3_port"),
    ],
)
def test_every_protocol_and_security_signs_in(trusted, dovecot, protocol, security, port):
    account = dovecot.account()
    account.deliver(b"From: a@example.test\r\nSubject: x\r\n\r\nbody\r\n")
    mailbox = imap_mailbox(
        dovecot, account, protocol=protocol, security=security, port=getattr(dovecot, port)
    )
    result = only(mailbox_connection_test(mailbox))
    assert result.ok, result.message
    assert "1 message" in result.message


def test_wrong_password_is_a_sign_in_failure_and_the_password_is_not_shown(trusted, dovecot):
    account = dovecot.account()
    for protocol, port in (("imap", dovecot.imaps_port), ("pop3", dovecot.pop3s_port)):
        mailbox = imap_mailbox(
            dovecot,
            account,
            name=f"wrong-{protocol}",
            address=f"{protocol}@desk.test",
            protocol=protocol,
            port=port,
            password="Wrong-Secret-77",  # noqa: S106
        )
        result = only(mailbox_connection_test(mailbox))
        assert not result.ok and result.stage == Stage.LOGIN, result
        assert "Wrong-Secret-77" not in result.message


def test_untrusted_certificate_is_a_tls_failure(settings, dovecot):
    settings.MAIL_TLS_CA_FILE, settings.MAIL_TIMEOUT = None, 15
    mailbox = imap_mailbox(dovecot, dovecot.account())
    result = only(mailbox_connection_test(mailbox))
    assert (result.ok, result.stage) == (False, Stage.TLS)
    assert "certificate" in result.message


def test_unknown_host_is_a_dns_failure(trusted, dovecot):
    mailbox = imap_mailbox(dovecot, dovecot.account(), host="no-such-host.invalid")
    result = only(mailbox_connection_test(mailbox))
    assert (result.ok, result.stage) == (False, Stage.DNS)
    assert "no-such-host.invalid" in result.message


def test_closed_port_is_a_connection_failure(trusted, dovecot):
    mailbox = imap_mailbox(dovecot, dovecot.account(), port=free_port())
    result = only(mailbox_connection_test(mailbox))
    assert (result.ok, result.stage) == (False, Stage.CONNECT)


def test_missing_folders_are_folder_failures(trusted, dovecot):
    account = dovecot.account()
    result = only(mailbox_connection_test(imap_mailbox(dovecot, account, folder="Helpdesk")))
    assert (result.ok, result.stage) == (False, Stage.FOLDER)
    assert "Helpdesk" in result.message
    moving = imap_mailbox(
        dovecot,
        account,
        name="moving",
        address="moving@desk.test",
        after_fetch=Mailbox.AfterFetch.MOVE,
        move_to="Stored",
    )
    result = only(mailbox_connection_test(moving))
    assert (result.ok, result.stage) == (False, Stage.FOLDER)
    account.create_folder("Stored")
    assert only(mailbox_connection_test(moving)).ok


def test_a_non_ascii_folder_is_opened(trusted, dovecot):
    account = dovecot.account()
    account.deliver(b"Subject: x\r\n\r\nbody\r\n")
    mailbox = imap_mailbox(dovecot, account)
    folder = "Forespørsler & svar"
    session = ImapSession(mailbox).open()
    try:
        assert session._client.create(imap_quote(folder))[0] == "OK"
        assert session.select(folder).uidvalidity > 0
    finally:
        session.close()


class AuthSink(Sink):
    """An SMTP server that takes one password, and XOAUTH2 bearer tokens the provider issued."""

    def __init__(self, provider=None):
        super().__init__()
        self.provider = provider
        self.logins: list[str] = []

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd's naming
        import base64

        blob = args[1] if len(args) > 1 else (await server.challenge_auth("")).decode()
        text = base64.b64decode(blob).decode()
        fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        user, _expiry = self.provider.access.get(token, ("", 0))
        if user and user == fields.get("user"):
            self.logins.append(f"xoauth2:{user}")
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"smtp-user" and auth_data.password == b"smtp-pass-9"
    return AuthResult(success=ok)


@pytest.fixture
def smtp_auth_server(oauth_provider):
    sink = AuthSink(oauth_provider)
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def test_smtp_password_test_and_sending_through_the_mailbox_backend(trusted, smtp_auth_server):
    from django.core.mail import EmailMessage

    sink, port = smtp_auth_server
    mailbox = Mailbox.objects.create(
        name="Out",
        address="out@desk.test",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Mailbox.Security.NONE,
        smtp_username="smtp-user",
        smtp_password="smtp-pass-9",  # noqa: S106
    )
    result = only(mailbox_connection_test(mailbox))
    assert result.ok, result.message
    backend = mailbox.email_backend()
    sent = backend.send_messages(
        [EmailMessage("Hi", "Body", "out@desk.test", ["someone@example.test"])]
    )
    assert sent == 1 and sink.received[0][1] == ["someone@example.test"]
    mailbox.smtp_password = "nope-nope"  # noqa: S105
    result = only(mailbox_connection_test(mailbox))
    assert (result.ok, result.stage) == (False, Stage.LOGIN)
    assert "nope-nope" not in result.message


def test_no_smtp_server_means_the_installation_default():
    mailbox = Mailbox.objects.create(name="Default", address="default@desk.test")
    assert mailbox.email_backend() is None


# --- OAuth2 --------------------------------------------------------------------------------


@pytest.fixture
def oauth_endpoints(settings, oauth_provider):
    endpoints = {
        "authorize_url": oauth_provider.authorize_url,
        "token_url": oauth_provider.token_url,
    }
    settings.MAIL_OAUTH_ENDPOINTS = {"google": endpoints, "microsoft": endpoints}
    return oauth_provider


def _consent(url: str) -> str:
    """The administrator's browser at the provider: it approves and redirects back."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302
        return exc.headers["Location"]
    raise AssertionError("the provider did not redirect")


def connect(mailbox, provider) -> None:
    from urllib.parse import parse_qs, urlsplit

    session: dict = {}
    url = authorisation_start(
        mailbox=mailbox, session=session, redirect_uri="http://testserver/manage/mailboxes/oauth/"
    )
    back = parse_qs(urlsplit(_consent(url)).query)
    authorisation_finish(session=session, state=back["state"][0], code=back["code"][0])
    mailbox.refresh_from_db()


@pytest.mark.parametrize("auth", ["google", "microsoft"])
def test_oauth_connect_then_imap_pop3_and_smtp_with_xoauth2(
    trusted, dovecot, oauth_endpoints, smtp_auth_server, auth
):
    sink, port = smtp_auth_server
    account = dovecot.account()
    account.deliver(b"Subject: x\r\n\r\nbody\r\n")
    mailbox = imap_mailbox(
        dovecot,
        account,
        auth=auth,
        password="",
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Mailbox.Security.NONE,
    )
    result = only([r for r in mailbox_connection_test(mailbox) if r.server == "IMAP"])
    assert (result.ok, result.stage) == (False, Stage.AUTHORISE)
    connect(mailbox, oauth_endpoints)
    assert mailbox.oauth_refresh_token and mailbox.oauth_connected_at
    assert oauth_endpoints.grants == ["authorization_code"]
    results = mailbox_connection_test(mailbox)
    assert [r.ok for r in results] == [True, True], results
    assert sink.logins == [f"xoauth2:{account.username}"]
    mailbox.protocol, mailbox.port = Mailbox.Protocol.POP3, dovecot.pop3s_port
    assert only([r for r in mailbox_connection_test(mailbox) if r.server == "POP3"]).ok


def test_the_token_is_refreshed_before_it_expires(trusted, dovecot, oauth_endpoints):
    account = dovecot.account()
    mailbox = imap_mailbox(
        dovecot,
        account,
        auth="google",
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
    )
    # Given a token that expires in two minutes (inside the refresh margin)
    oauth_endpoints.expires_in = 120
    connect(mailbox, oauth_endpoints)
    first = mailbox.oauth_access_token
    oauth_endpoints.expires_in = 3600
    # When the mailbox connects, the token is refreshed first, so the old one is never used
    oauth_endpoints.revoke_access()
    assert only(mailbox_connection_test(mailbox)).ok
    mailbox.refresh_from_db()
    assert mailbox.oauth_access_token != first
    assert oauth_endpoints.grants == ["authorization_code", "refresh_token"]
    # and a fresh token is used as it is, without asking the provider again
    assert access_token_fresh(mailbox) == mailbox.oauth_access_token
    assert oauth_endpoints.grants == ["authorization_code", "refresh_token"]


def test_a_revoked_refresh_token_says_to_connect_again(trusted, dovecot, oauth_endpoints):
    mailbox = imap_mailbox(
        dovecot,
        dovecot.account(),
        auth="google",
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
    )
    connect(mailbox, oauth_endpoints)
    Mailbox.objects.filter(pk=mailbox.pk).update(oauth_expires_at=None)
    mailbox.refresh_from_db()
    oauth_endpoints.refuse_refresh = True
    result = only(mailbox_connection_test(mailbox))
    assert (result.ok, result.stage) == (False, Stage.AUTHORISE)
    assert "revoked" in result.message
    assert mailbox.oauth_refresh_token not in result.message


def test_a_callback_with_another_state_is_refused(oauth_endpoints):
    mailbox = Mailbox.objects.create(
        name="G",
        address="g@desk.test",
        auth="google",
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
    )
    session: dict = {}
    authorisation_start(mailbox=mailbox, session=session, redirect_uri="http://testserver/cb/")
    with pytest.raises(OAuthProblem):
        authorisation_finish(session=session, state="forged", code="whatever")
    with pytest.raises(OAuthProblem):  # the state is used up either way
        authorisation_finish(session=session, state="forged", code="whatever")
