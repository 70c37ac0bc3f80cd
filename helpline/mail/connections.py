"""Talking to a mailbox's servers: IMAP and POP3 sessions (TLS, STARTTLS, password or XOAUTH2,
timeouts everywhere), the per-mailbox SMTP email backend, and "Test connection", which names the
step that failed (DNS, connection, TLS, sign-in, folder).

Errors leave this module as `ConnectionProblem`, whose message never contains a secret.
"""

import base64
import contextlib
import imaplib
import logging
import poplib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from .models import Mailbox

log = logging.getLogger(__name__)
Security = Mailbox.Security

DEFAULT_PORTS: dict[tuple[str, str], int] = {
    (Mailbox.Protocol.IMAP, Security.TLS): 993,
    (Mailbox.Protocol.IMAP, Security.STARTTLS): 143,
    (Mailbox.Protocol.IMAP, Security.NONE): 143,
    (Mailbox.Protocol.POP3, Security.TLS): 995,
    (Mailbox.Protocol.POP3, Security.STARTTLS): 110,
    (Mailbox.Protocol.POP3, Security.NONE): 110,
}
SMTP_PORTS: dict[str, int] = {Security.TLS: 465, Security.STARTTLS: 587, Security.NONE: 25}


class Stage:
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    AUTHORISE = "authorise"
    LOGIN = "login"
    FOLDER = "folder"
    FETCH = "fetch"


def stage_label(stage: str) -> str:
    return {
        Stage.DNS: _("DNS"),
        Stage.CONNECT: _("connection"),
        Stage.TLS: _("TLS"),
        Stage.AUTHORISE: _("authorisation"),
        Stage.LOGIN: _("sign-in"),
        Stage.FOLDER: _("folder"),
        Stage.FETCH: _("fetching"),
    }[stage]


class ConnectionProblem(Exception):
    """A step of talking to a mail server failed; `stage` says which, `detail` what the server
    or the library said (secrets never included)."""

    def __init__(self, stage: str, detail: str):
        super().__init__(f"{stage}: {detail}")
        self.stage, self.detail = stage, _scrub(detail)

    @property
    def message(self) -> str:
        return _("%(stage)s failed: %(detail)s") % {
            "stage": stage_label(self.stage),
            "detail": self.detail,
        }


_SECRETISH = re.compile(r"(auth=Bearer\s+|Bearer\s+|password[=:]\s*)\S+", re.IGNORECASE)
_FETCH_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_FETCH_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.IGNORECASE)


def _scrub(text: str) -> str:
    return _SECRETISH.sub(r"\1[hidden]", str(text))[:500]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return " ".join(_text(item) for item in value)
    return str(value)


def tls_context() -> ssl.SSLContext:
    """Certificates checked (host name too), against the system's CAs or MAIL_TLS_CA_FILE."""
    return ssl.create_default_context(cafile=settings.MAIL_TLS_CA_FILE)


def _timeout() -> int:
    return settings.MAIL_TIMEOUT


def resolve(host: str, port: int) -> None:
    """The DNS step on its own, so "the name does not exist" is told apart from the rest."""
    if not host:
        raise ConnectionProblem(Stage.DNS, _("no server name is set"))
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectionProblem(
            Stage.DNS,
            _("the server name “%(host)s” could not be found (%(error)s)")
            % {"host": host, "error": exc},
        ) from exc


@contextmanager
def _stage(stage: str) -> Iterator[None]:
    """Turn what the libraries raise during `stage` into a ConnectionProblem."""
    try:
        yield
    except ConnectionProblem:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise ConnectionProblem(
            Stage.TLS,
            _("the certificate is not trusted (%(reason)s)") % {"reason": exc.verify_message},
        ) from exc
    except ssl.SSLError as exc:
        raise ConnectionProblem(Stage.TLS, str(exc.reason or exc)) from exc
    except TimeoutError as exc:
        raise ConnectionProblem(
            stage, _("no answer within %(seconds)s seconds") % {"seconds": _timeout()}
        ) from exc
    except ConnectionRefusedError as exc:
        raise ConnectionProblem(Stage.CONNECT, _("the server refused the connection")) from exc
    except (
        imaplib.IMAP4.error,
        poplib.error_proto,
        smtplib.SMTPException,
        OSError,
        EOFError,
    ) as exc:
        raise ConnectionProblem(
            stage, _text(getattr(exc, "args", [exc])[0] if exc.args else exc)
        ) from exc


def xoauth2(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (Google and Microsoft), before base64."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"


def _access_token(mailbox: Mailbox) -> str:
    from .oauth import OAuthProblem, access_token_fresh

    try:
        return access_token_fresh(mailbox)
    except OAuthProblem as exc:
        raise ConnectionProblem(Stage.AUTHORISE, exc.message) from exc


def inbound_port(mailbox: Mailbox) -> int:
    return mailbox.port or DEFAULT_PORTS[(mailbox.protocol, mailbox.security)]


# --- IMAP ------------------------------------------------------------------------------------


def imap_quote(name: str) -> str:
    """A folder name as an IMAP quoted string, in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded, pending = [], ""

    def flush() -> None:
        nonlocal pending
        if pending:
            data = base64.b64encode(pending.encode("utf-16-be")).decode().rstrip("=")
            encoded.append("&" + data.replace("/", ",") + "-")
            pending = ""

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending += char
    flush()
    text = "".join(encoded)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class ImapFolder:
    uidvalidity: int
    uids: list[int]


class ImapSession:
    """An authenticated IMAP connection with the folder selected read-write."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.client: imaplib.IMAP4 | None = None
        self.capabilities: set[str] = set()

    def open(self) -> "ImapSession":
        mailbox, port = self.mailbox, inbound_port(self.mailbox)
        resolve(mailbox.host, port)
        with _stage(Stage.CONNECT):
            if mailbox.security == Security.TLS:
                self.client = imaplib.IMAP4_SSL(
                    mailbox.host, port, ssl_context=tls_context(), timeout=_timeout()
                )
            else:
                self.client = imaplib.IMAP4(mailbox.host, port, timeout=_timeout())
        client = self.client
        if mailbox.security == Security.STARTTLS:
            with _stage(Stage.TLS):
                if "STARTTLS" not in client.capabilities:
                    raise ConnectionProblem(Stage.TLS, _("the server does not offer STARTTLS"))
                client.starttls(tls_context())
        with _stage(Stage.LOGIN):
            if mailbox.uses_oauth:
                blob = xoauth2(mailbox.username, _access_token(mailbox)).encode()
                client.authenticate("XOAUTH2", lambda _challenge: blob)
            else:
                client.login(mailbox.username, mailbox.password)
            self.capabilities = {str(c).upper() for c in client.capabilities}
        return self

    def select(self, folder: str | None = None) -> ImapFolder:
        client = self._client
        name = folder or self.mailbox.folder or "INBOX"
        with _stage(Stage.FOLDER):
            typ, data = client.select(imap_quote(name))
            if typ != "OK":
                raise ConnectionProblem(
                    Stage.FOLDER,
                    _("the folder “%(folder)s” cannot be opened (%(answer)s)")
                    % {"folder": name, "answer": _text(data)},
                )
            _typ, validity = client.response("UIDVALIDITY")
            uidvalidity = int(validity[0]) if validity and validity[0] else 0
        return ImapFolder(uidvalidity=uidvalidity, uids=[])

    def uids_after(self, last_uid: int) -> list[int]:
        with _stage(Stage.FETCH):
            typ, data = self._client.uid("SEARCH", "UNDELETED", f"UID {last_uid + 1}:*")
            if typ != "OK":
                raise ConnectionProblem(Stage.FETCH, _text(data))
        # "n:*" always matches the highest UID, even when it is below n.
        return sorted(uid for uid in (int(x) for x in _text(data).split()) if uid > last_uid)

    def fetch(self, uid: int) -> bytes | None:
        """The raw message, without setting \\Seen (PEEK); None when it vanished meanwhile."""
        with _stage(Stage.FETCH):
            typ, data = self._client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            if typ != "OK":
                raise ConnectionProblem(Stage.FETCH, _text(data))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        return None

    def sizes(self, uids: list[int]) -> dict[int, int]:
        """The size in bytes of each message, by UID, in one round trip."""
        if not uids:
            return {}
        with _stage(Stage.FETCH):
            typ, data = self._client.uid(
                "FETCH", ",".join(str(uid) for uid in uids), "(UID RFC822.SIZE)"
            )
            if typ != "OK":
                raise ConnectionProblem(Stage.FETCH, _text(data))
        found = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _FETCH_UID.search(line), _FETCH_SIZE.search(line)
                if uid and size:
                    found[int(uid.group(1))] = int(size.group(1))
        return found

    def fetch_many(self, uids: list[int]) -> dict[int, bytes]:
        """Several raw messages in one round trip, by UID, without setting \\Seen (PEEK); a
        message that vanished meanwhile is missing from the answer."""
        if not uids:
            return {}
        with _stage(Stage.FETCH):
            typ, data = self._client.uid(
                "FETCH", ",".join(str(uid) for uid in uids), "(UID BODY.PEEK[])"
            )
            if typ != "OK":
                raise ConnectionProblem(Stage.FETCH, _text(data))
        found = {}
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                match = _FETCH_UID.search(item[0])
                if match:
                    found[int(match.group(1))] = bytes(item[1])
        return found

    def _store(self, uid: int | str, flag: str) -> None:
        typ, data = self._client.uid("STORE", str(uid), "+FLAGS.SILENT", f"({flag})")
        if typ != "OK":
            raise ConnectionProblem(Stage.FETCH, _text(data))

    def _expunge(self, uid: int | str) -> None:
        if "UIDPLUS" in self.capabilities:
            self._client.uid("EXPUNGE", str(uid))
        else:
            self._client.expunge()

    def done_with(self, uid: int | list[int]) -> None:
        """What the mailbox says to do with a message (or several, in one command each) once it
        is stored here."""
        if isinstance(uid, list):
            if not uid:
                return
            uids: int | str = ",".join(str(one) for one in uid)
        else:
            uids = uid
        after = self.mailbox.after_fetch
        with _stage(Stage.FETCH):
            if after == Mailbox.AfterFetch.SEEN:
                self._store(uids, "\\Seen")
            elif after == Mailbox.AfterFetch.MOVE and self.mailbox.move_to:
                target = imap_quote(self.mailbox.move_to)
                if "MOVE" in self.capabilities:
                    typ, data = self._client.uid("MOVE", str(uids), target)
                    if typ != "OK":
                        raise ConnectionProblem(Stage.FOLDER, _text(data))
                else:
                    typ, data = self._client.uid("COPY", str(uids), target)
                    if typ != "OK":
                        raise ConnectionProblem(Stage.FOLDER, _text(data))
                    self._store(uids, "\\Deleted")
                    self._expunge(uids)
            else:
                self._store(uids, "\\Seen \\Deleted")
                self._expunge(uids)

    def check_folder_exists(self, name: str) -> None:
        with _stage(Stage.FOLDER):
            typ, data = self._client.list('""', imap_quote(name))
            if typ != "OK" or not [item for item in data if item]:
                raise ConnectionProblem(
                    Stage.FOLDER, _("the folder “%(folder)s” does not exist") % {"folder": name}
                )

    @property
    def _client(self) -> imaplib.IMAP4:
        assert self.client is not None
        return self.client

    def close(self) -> None:
        if self.client is None:
            return
        client, self.client = self.client, None
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError, EOFError):
            # The server is gone or hung: drop the line, there is nothing left to say.
            with contextlib.suppress(OSError):
                client.shutdown()


# --- POP3 ------------------------------------------------------------------------------------


class Pop3Session:
    """An authenticated POP3 connection; deletions take effect on `close()` (QUIT)."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.client: poplib.POP3 | None = None

    def open(self) -> "Pop3Session":
        mailbox, port = self.mailbox, inbound_port(self.mailbox)
        resolve(mailbox.host, port)
        with _stage(Stage.CONNECT):
            if mailbox.security == Security.TLS:
                self.client = poplib.POP3_SSL(
                    mailbox.host, port, context=tls_context(), timeout=_timeout()
                )
            else:
                self.client = poplib.POP3(mailbox.host, port, timeout=_timeout())
        client = self.client
        if mailbox.security == Security.STARTTLS:
            with _stage(Stage.TLS):
                client.stls(tls_context())
        with _stage(Stage.LOGIN):
            if mailbox.uses_oauth:
                blob = xoauth2(mailbox.username, _access_token(mailbox)).encode()
                # Microsoft's POP3 takes no initial response: AUTH, "+", then the blob.
                # poplib has no AUTH command; its (stable, undocumented) line helpers do it.
                raw: Any = client
                raw._putcmd("AUTH XOAUTH2")
                raw._getresp()
                raw._shortcmd(base64.b64encode(blob).decode())
            else:
                client.user(mailbox.username)
                client.pass_(mailbox.password)
        return self

    def uidl(self) -> list[tuple[int, str]]:
        """(message number, unique id) of every message on the server."""
        with _stage(Stage.FETCH):
            _resp, lines, _octets = self._client.uidl()
        found = []
        for line in lines:
            number, _sep, uid = _text(line).partition(" ")
            found.append((int(number), uid.strip()))
        return found

    def fetch(self, number: int) -> bytes:
        with _stage(Stage.FETCH):
            _resp, lines, _octets = self._client.retr(number)
        return b"\r\n".join(lines) + b"\r\n"

    def delete(self, number: int) -> None:
        with _stage(Stage.FETCH):
            self._client.dele(number)

    def stat(self) -> int:
        with _stage(Stage.FOLDER):
            count, _size = self._client.stat()
        return count

    @property
    def _client(self) -> poplib.POP3:
        assert self.client is not None
        return self.client

    def close(self, *, commit: bool = True) -> None:
        """QUIT (deletions happen) when `commit`, else drop the line (the server forgets them)."""
        if self.client is None:
            return
        client, self.client = self.client, None
        if commit:
            with _stage(Stage.FETCH):
                client.quit()
            return
        with contextlib.suppress(OSError):
            client.sock.close()


def inbound_session(mailbox: Mailbox) -> ImapSession | Pop3Session:
    """An open, authenticated session to the mailbox's server (the caller closes it)."""
    if mailbox.protocol == Mailbox.Protocol.IMAP:
        return ImapSession(mailbox).open()
    if mailbox.protocol == Mailbox.Protocol.POP3:
        return Pop3Session(mailbox).open()
    raise ConnectionProblem(Stage.CONNECT, _("this mailbox is not checked by Helpline"))


# --- SMTP ------------------------------------------------------------------------------------


class MailboxSMTPBackend(SMTPBackend):
    """Django's SMTP backend with certificate checks against MAIL_TLS_CA_FILE and, for OAuth2
    mailboxes, XOAUTH2 with a token refreshed before it expires."""

    def __init__(self, *, mailbox: Mailbox, **kwargs):
        self.mailbox = mailbox
        super().__init__(**kwargs)

    @cached_property
    def ssl_context(self):
        return tls_context()

    def open(self):
        if self.connection:
            return False
        opened = super().open()
        if self.mailbox.uses_oauth and self.connection is not None:
            try:
                token = _access_token(self.mailbox)
                blob = xoauth2(self.mailbox.smtp_username or self.mailbox.username, token)
                # smtplib takes "503 send EHLO first" for "already signed in": greet first.
                self.connection.ehlo_or_helo_if_needed()
                self.connection.auth("XOAUTH2", lambda challenge=None: blob)
            except Exception:
                self.close()
                raise
        return opened


def smtp_port(mailbox: Mailbox) -> int:
    return mailbox.smtp_port or SMTP_PORTS[mailbox.smtp_security]


def mailbox_email_backend(mailbox: Mailbox) -> MailboxSMTPBackend | None:
    """The mailbox's own SMTP server as a Django email backend, or None (installation default)."""
    if not mailbox.smtp_host:
        return None
    oauth = mailbox.uses_oauth
    return MailboxSMTPBackend(
        mailbox=mailbox,
        host=mailbox.smtp_host,
        port=smtp_port(mailbox),
        username=None if oauth else (mailbox.smtp_username or None),
        password=None if oauth else (mailbox.smtp_password or None),
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Security.TLS,
        timeout=settings.MAIL_TIMEOUT,
        fail_silently=False,
    )


# --- "Test connection" ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """One server's test: ok, or the failed stage and what was said."""

    server: str  # "IMAP", "POP3", "SMTP"
    ok: bool
    message: str
    stage: str = ""


def _check(server: str, attempt: Callable[[], str]) -> CheckResult:
    try:
        summary = attempt()
    except ConnectionProblem as exc:
        log.info("Mailbox test: %s failed at %s: %s", server, exc.stage, exc.detail)
        return CheckResult(server=server, ok=False, message=exc.message, stage=exc.stage)
    return CheckResult(server=server, ok=True, message=summary)


def _check_inbound(mailbox: Mailbox) -> str:
    session = inbound_session(mailbox)
    try:
        if isinstance(session, ImapSession):
            session.select()
            count = len(session.uids_after(0))
            if mailbox.after_fetch == Mailbox.AfterFetch.MOVE and mailbox.move_to:
                session.check_folder_exists(mailbox.move_to)
            folder = mailbox.folder or "INBOX"
        else:
            count, folder = session.stat(), "INBOX"
    finally:
        session.close()
    return _("Signed in; %(count)s message(s) waiting in %(folder)s.") % {
        "count": count,
        "folder": folder,
    }


def _check_smtp(mailbox: Mailbox) -> str:
    backend = mailbox_email_backend(mailbox)
    assert backend is not None
    resolve(mailbox.smtp_host, smtp_port(mailbox))
    with _stage(Stage.LOGIN):
        try:
            backend.open()
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionProblem(Stage.LOGIN, _text(exc.smtp_error)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise ConnectionProblem(Stage.TLS, _text(exc.args)) from exc
        finally:
            backend.close()
    return _("Signed in to the SMTP server.")


def mailbox_connection_test(mailbox: Mailbox) -> list[CheckResult]:
    """Try the mailbox's incoming server and its SMTP server (when it has its own) without
    fetching, deleting or sending anything."""
    results = []
    if mailbox.polled:
        label = "IMAP" if mailbox.protocol == Mailbox.Protocol.IMAP else "POP3"
        results.append(_check(label, lambda: _check_inbound(mailbox)))
    if mailbox.smtp_host:
        results.append(_check("SMTP", lambda: _check_smtp(mailbox)))
    return results
