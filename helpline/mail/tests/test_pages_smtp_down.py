"""Pages that send mail while the mail server is down or hangs: the page answers as usual and
at once, the message waits in the outbox with the error, nothing is dropped."""

import socket
import time

import pytest
from django.urls import reverse

from helpline.mail.models import OutboxMessage

from .conftest import QUEUED

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status
SIGNUP_FORM = {
    "name": "Petra Hansen",
    "email": "Petra@Acme.test",
    "password1": "long-enough-pass-42",
    "password2": "long-enough-pass-42",
}


def assert_waiting_with_error(recipient: str) -> OutboxMessage:
    row = OutboxMessage.objects.get()
    assert row.recipients == [recipient]
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert "refused" in row.last_error.lower()
    return row


def test_sign_up_with_smtp_down(client, org_a, smtp_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), SIGNUP_FORM)
    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert_waiting_with_error("petra@acme.test")


def test_password_reset_with_smtp_down(
    client, requester_a, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": requester_a.email})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert_waiting_with_error(requester_a.email)


def test_set_password_mail_with_smtp_down(
    client, admin_user, smtp_down, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("manage:staff_new"),
            {
                "email": "nora@desk.test",
                "first_name": "Nora",
                "role": "supervisor",
                "credential": "mail",
                "send_set_password_mail": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_waiting_with_error("nora@desk.test")


def test_reset_takes_the_same_short_time_for_known_and_unknown_addresses(
    client, requester_a, settings
):
    # a mail server that accepts the connection and never answers: sending inside the
    # request would hang the known address's page for EMAIL_TIMEOUT
    settings.EMAIL_BACKEND = QUEUED
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 3
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        timings = {}
        for email in (requester_a.email, "nobody@nowhere.test"):
            started = time.monotonic()
            response = client.post(reverse("accounts:password_reset"), {"email": email})
            timings[email] = time.monotonic() - started
            assert response.status_code == 302
    assert max(timings.values()) < 1.5, timings
    # both wait in the outbox (an unknown address is told it has no account here)
    queued = sorted(r for row in OutboxMessage.objects.all() for r in row.recipients)
    assert queued == sorted([requester_a.email, "nobody@nowhere.test"])
