"""A real Dovecot (IMAP and POP3) on loopback for the mailbox tests, started unprivileged from a
temporary configuration: passwd-file accounts, maildir, plain and implicit-TLS listeners (STARTTLS
offered on the plain ones) with a self-signed certificate, and XOAUTH2 checked against a token
introspection URL the test serves (the provider's side).

Dovecot's login processes refuse to run as root, so under root the server runs as `nobody`;
otherwise as the current user. Missing Dovecot skips the tests, except in strict mode
(HELPLINE_TEST_STRICT=1, `.ci/run`), where it fails them: CI must really talk IMAP.
"""

import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DOVECOT = os.environ.get("HELPLINE_DOVECOT", "/usr/sbin/dovecot")
HOST = "127.0.0.1"
_accounts = itertools.count(1)
ACCOUNTS = 400


def _password(name: str) -> str:
    return f"pass-{name}-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _dovecot_binary() -> str | None:
    if os.access(DOVECOT, os.X_OK):
        return DOVECOT
    return shutil.which("dovecot")


def _strict() -> bool:
    return os.environ.get("HELPLINE_TEST_STRICT") == "1"


def _run_as() -> tuple[int, int, str, str]:
    """(uid, gid, user, group) the server runs as: never root."""
    if os.geteuid() != 0:
        uid, gid = os.geteuid(), os.getegid()
    else:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    return uid, gid, pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - openssl from PATH, as Dovecot's own packaging does
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@dataclass
class Account:
    """One mail account on the test server."""

    server: "Dovecot"
    username: str
    password: str
    address: str

    def imap(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(HOST, self.server.imap_port, timeout=10)
        client.login(self.username, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in `folder` (as an MTA's delivery would), unread."""
        client = self.imap()
        try:
            if folder != "INBOX":
                client.create(folder)
            answer: Any = client.append(folder, None, None, raw)  # type: ignore[arg-type]
            assert answer[0] == "OK", answer
        finally:
            client.logout()

    def create_folder(self, folder: str) -> None:
        client = self.imap()
        try:
            client.create(folder)
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[int, set[str], bytes]]:
        """(uid, flags, raw) of every message in `folder`, peeked (flags left alone)."""
        client = self.imap()
        try:
            typ, _data = client.select(folder, readonly=True)
            assert typ == "OK", _data
            typ, data = client.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
            found = []
            for item in data:
                if not isinstance(item, tuple):
                    continue
                meta = item[0].decode()
                uid = int(meta.split("UID ", 1)[1].split()[0])
                flags = set(imaplib.ParseFlags(item[0]) or ())
                found.append((uid, {flag.decode() for flag in flags}, item[1]))
            return found
        finally:
            client.logout()


@dataclass
class Dovecot:
    root: Path
    cafile: str
    imap_port: int
    imaps_port: int
    pop3_port: int
    pop3s_port: int
    uid: int
    gid: int
    process: subprocess.Popen | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    host = HOST

    @property
    def passwd(self) -> Path:
        return self.root / "passwd"

    def account(self) -> Account:
        """A new, empty account (each test its own, so tests never see each other's mail).

        The accounts are written before the server starts: Dovecot rereads a changed
        passwd-file only when it notices the change, which is racy within a second."""
        number = next(_accounts)
        if number > ACCOUNTS:
            raise RuntimeError("The test Dovecot ran out of accounts; raise ACCOUNTS.")
        name = f"desk{number}"
        return Account(
            server=self, username=name, password=_password(name), address=f"{name}@desk.test"
        )

    def write_passwd(self) -> None:
        lines = []
        for number in range(1, ACCOUNTS + 1):
            name = f"desk{number}"
            home = self.root / "mail" / name
            lines.append(f"{name}:{{PLAIN}}{_password(name)}:{self.uid}:{self.gid}::{home}::\n")
        self.passwd.write_text("".join(lines), encoding="utf-8")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = helpline-test-{pid}
log_path = {root}/dovecot.log
protocols = imap pop3
listen = {host}
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
first_valid_gid = {gid}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login xoauth2 oauthbearer
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    address = {host}
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    address = {host}
    port = {pop3s_port}
    ssl = yes
  }}
}}
"""

# Dovecot asks the provider whether a bearer token is valid (RFC 7662 introspection) and for
# which address; the fake provider answers from the tokens it issued.
OAUTH2 = """\
introspection_mode = post
introspection_url = {introspection_url}
username_attribute = email
active_attribute = active
active_value = true
"""


def _wait_listening(ports: list[int], process: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 20
    for port in ports:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Dovecot exited: {(root / 'dovecot.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Dovecot did not listen on {port}")
            time.sleep(0.05)


@contextlib.contextmanager
def dovecot_running(introspection_url: str):
    binary = _dovecot_binary()
    if binary is None:
        message = "Dovecot not installed: apt-get install dovecot-imapd dovecot-pop3d"
        if _strict():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    uid, gid, user, group = _run_as()
    root = Path(tempfile.mkdtemp(prefix="helpline-dovecot-"))
    try:
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        cert, key = _self_signed(root)
        server = Dovecot(
            root=root,
            cafile=str(cert),
            imap_port=free_port(),
            imaps_port=free_port(),
            pop3_port=free_port(),
            pop3s_port=free_port(),
            uid=uid,
            gid=gid,
        )
        server.write_passwd()
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root,
                pid=os.getpid(),
                host=HOST,
                user=user,
                group=group,
                uid=uid,
                gid=gid,
                cert=cert,
                key=key,
                imap_port=server.imap_port,
                imaps_port=server.imaps_port,
                pop3_port=server.pop3_port,
                pop3s_port=server.pop3s_port,
            ),
            encoding="utf-8",
        )
        (root / "oauth2.conf.ext").write_text(
            OAUTH2.format(introspection_url=introspection_url), encoding="utf-8"
        )
        for path in [root, *root.rglob("*")]:
            os.chown(path, uid, gid)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

        def demote():
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)

        server.process = subprocess.Popen(  # noqa: S603 - our binary, our config
            [binary, "-F", "-c", str(root / "dovecot.conf")],
            preexec_fn=demote,  # noqa: PLW1509 - no threads run yet in this fixture
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        _wait_listening(
            [server.imap_port, server.imaps_port, server.pop3_port, server.pop3s_port],
            server.process,
            root,
        )
        yield server
    finally:
        process = locals().get("server") and server.process
        if process and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def tls_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)
