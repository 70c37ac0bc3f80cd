"""The mailbox administration pages: add and edit with write-only secrets, "Test connection"
against the real Dovecot, OAuth2 connected through the pages with the fake provider, the
health list, events."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from helpline.audit.models import Event
from helpline.core import clock
from helpline.core.models import SiteSettings
from helpline.mail.models import Mailbox, QuarantinedMail

from .oauth_provider import CLIENT_ID, CLIENT_SECRET
from .test_connections import _consent

pytestmark = pytest.mark.django_db
LIST = reverse("manage:mailboxes")
NEW = reverse("manage:mailbox_new")


def form_data(**overrides) -> dict:
    return {
        "name": "Support",
        "address": "Support@Desk.test",
        "is_active": "on",
        "protocol": "imap",
        "host": "127.0.0.1",
        "port": "",
        "security": "tls",
        "auth": "password",
        "username": "desk1",
        "password": "Very-Secret-Pass-1",
        "folder": "INBOX",
        "after_fetch": "delete",
        "move_to": "",
        "poll_seconds": "60",
        "smtp_host": "",
        "smtp_security": "starttls",
        "smtp_username": "",
        "smtp_password": "",
    } | overrides


def test_add_then_edit_keeps_the_password_and_never_shows_it(client, admin_user, support):
    client.force_login(admin_user)
    response = client.post(NEW, form_data(department=support.pk))
    mailbox = Mailbox.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "manage:mailbox", args=[mailbox.pk]
    )
    assert mailbox.address == "support@desk.test" and mailbox.password == "Very-Secret-Pass-1"
    page = client.get(response["Location"])
    assert b"Very-Secret-Pass-1" not in page.content
    assert "Stored; leave empty to keep it." in page.content.decode()
    # Given the administrator changes the folder and leaves the password empty
    response = client.post(
        reverse("manage:mailbox", args=[mailbox.pk]),
        form_data(password="", folder="Support", department=support.pk),
    )
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.folder, mailbox.password) == ("Support", "Very-Secret-Pass-1")
    events = list(Event.objects.filter(action="mail.mailbox_saved").order_by("pk"))
    assert events[0].changes["created"] is True
    assert events[1].changes["fields"] == ["folder"]
    assert all("Very-Secret" not in str(event.changes) for event in events)


def test_bad_settings_are_refused_with_the_field_named(client, admin_user):
    client.force_login(admin_user)
    page = client.post(NEW, form_data(protocol="pop3", after_fetch="move", move_to="Done"))
    assert page.status_code == 200 and not Mailbox.objects.exists()
    assert "POP3 has no folders" in page.content.decode()
    page = client.post(NEW, form_data(password=""))
    assert "Enter the password." in page.content.decode()
    assert b"Very-Secret-Pass-1" not in client.post(NEW, form_data(host="")).content


def test_test_connection_says_what_failed(client, admin_user, dovecot, settings):
    settings.MAIL_TLS_CA_FILE, settings.MAIL_TIMEOUT = dovecot.cafile, 15
    account = dovecot.account()
    mailbox = Mailbox.objects.create(
        name="Box",
        address=account.address,
        protocol="imap",
        host=dovecot.host,
        port=dovecot.imaps_port,
        username=account.username,
        password=account.password,
    )
    client.force_login(admin_user)
    page = client.post(reverse("manage:mailbox_test", args=[mailbox.pk]), follow=True)
    assert "IMAP: Signed in; 0 message(s) waiting in INBOX." in page.content.decode()
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong-one")
    page = client.post(reverse("manage:mailbox_test", args=[mailbox.pk]), follow=True)
    text = page.content.decode()
    assert "IMAP: sign-in failed" in text and "wrong-one" not in text
    assert [
        e.changes for e in Event.objects.filter(action="mail.mailbox_tested").order_by("pk")
    ] == [
        {"IMAP": "ok"},
        {"IMAP": "login"},
    ]


def test_oauth_connect_through_the_pages(client, admin_user, dovecot, oauth_provider, settings):
    settings.MAIL_TLS_CA_FILE, settings.MAIL_TIMEOUT = dovecot.cafile, 15
    endpoints = {
        "authorize_url": oauth_provider.authorize_url,
        "token_url": oauth_provider.token_url,
    }
    settings.MAIL_OAUTH_ENDPOINTS = {"microsoft": endpoints}
    account = dovecot.account()
    client.force_login(admin_user)
    response = client.post(
        NEW,
        form_data(
            auth="microsoft",
            password="",
            username=account.username,
            host=dovecot.host,
            port=dovecot.imaps_port,
            oauth_client_id=CLIENT_ID,
            oauth_client_secret=CLIENT_SECRET,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    mailbox = Mailbox.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert CLIENT_SECRET not in page and "Connect (OAuth2: Microsoft 365)" in page
    # The administrator is sent to the provider, signs in there, and comes back
    to_provider = client.post(reverse("manage:mailbox_oauth", args=[mailbox.pk]))
    assert to_provider["Location"].startswith(oauth_provider.authorize_url)
    query = parse_qs(urlsplit(to_provider["Location"]).query)
    assert query["redirect_uri"] == ["http://testserver/manage/mailboxes/oauth/"]
    assert query["login_hint"] == [account.username]
    back = urlsplit(_consent(to_provider["Location"]))
    landed = client.get(f"{back.path}?{back.query}", follow=True)
    assert "is connected" in landed.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.oauth_refresh_token and mailbox.oauth_access_token not in landed.content.decode()
    assert Event.objects.filter(action="mail.mailbox_connected").exists()
    page = client.post(reverse("manage:mailbox_test", args=[mailbox.pk]), follow=True)
    assert "IMAP: Signed in" in page.content.decode()
    # A replayed or forged callback is refused
    page = client.get(f"{back.path}?{back.query}", follow=True)
    assert "did not start here" in page.content.decode()


def test_the_health_list_shows_each_mailbox(client, admin_user):
    Mailbox.objects.create(
        name="Sales",
        address="sales@desk.test",
        protocol="imap",
        host="imap.example.test",
        last_error="sign-in failed: AUTHENTICATIONFAILED",
        last_error_at=clock.now(),
    )
    piped = Mailbox.objects.create(name="Piped", address="piped@desk.test")
    QuarantinedMail.objects.create(mailbox=piped, reason="unparseable", raw=b"x", sha256="a" * 64)
    client.force_login(admin_user)
    text = client.get(LIST).content.decode()
    assert "sign-in failed: AUTHENTICATIONFAILED" in text and "failing" in text
    assert "delivered by mail-in" in text
    assert '<span class="badge text-bg-warning">1</span>' in text


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count(client, admin_user, rows, django_assert_num_queries):
    SiteSettings.current()
    for number in range(rows):
        Mailbox.objects.create(name=f"Box {number}", address=f"box{number}@desk.test")
    client.force_login(admin_user)
    # session, user, the reference generation, site settings (reference data: read on a
    # process's first request after a change, as here); the mailboxes with their counts
    with django_assert_num_queries(5):
        assert client.get(LIST).status_code == 200
