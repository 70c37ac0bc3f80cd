"""The test Dovecot itself: IMAP and POP3, plain, STARTTLS and TLS, password and XOAUTH2."""

import imaplib
import poplib
import ssl

import pytest

from .dovecot import tls_context


def test_imap_starttls_and_tls_with_the_generated_certificate(dovecot):
    account = dovecot.account()
    account.deliver(b"From: a@example.test\r\nSubject: one\r\n\r\nbody\r\n")
    context = tls_context(dovecot.cafile)
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=5) as client:
        client.starttls(context)
        client.login(account.username, account.password)
        assert client.select("INBOX") == ("OK", [b"1"])
    with imaplib.IMAP4_SSL(
        dovecot.host, dovecot.imaps_port, ssl_context=context, timeout=5
    ) as client:
        client.login(account.username, account.password)
        assert client.select("INBOX") == ("OK", [b"1"])


def test_tls_with_an_untrusted_certificate_fails(dovecot):
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            dovecot.host, dovecot.imaps_port, ssl_context=ssl.create_default_context(), timeout=5
        )


def test_pop3_uidl_over_tls(dovecot):
    account = dovecot.account()
    account.deliver(b"From: a@example.test\r\nSubject: one\r\n\r\nbody\r\n")
    client = poplib.POP3_SSL(
        dovecot.host, dovecot.pop3s_port, context=tls_context(dovecot.cafile), timeout=5
    )
    client.user(account.username)
    client.pass_(account.password)
    assert len(client.uidl()[1]) == 1
    client.quit()


def test_xoauth2_is_checked_against_the_provider(dovecot, oauth_provider):
    account = dovecot.account()
    token = oauth_provider.issue(account.username)["access_token"]
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=5) as client:
        blob = f"user={account.username}\x01auth=Bearer {token}\x01\x01".encode()
        assert client.authenticate("XOAUTH2", lambda _challenge: blob)[0] == "OK"
    client = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=5)
    blob = f"user={account.username}\x01auth=Bearer not-a-token\x01\x01".encode()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.authenticate("XOAUTH2", lambda _challenge: blob)
    client.shutdown()
