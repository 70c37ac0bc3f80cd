"""Password reset, which is also how a requester registered from a mail sets a first password."""

import re

from django.core import mail
from django.urls import reverse

from helpline.accounts.services import requester_register
from helpline.audit.models import Event

RESET = reverse("accounts:password_reset")


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)


def test_reset_mail_is_sent_and_sets_a_new_password(client, requester_a):
    response = client.post(RESET, {"email": "ALICE@acme.test"})
    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [requester_a.email] and "Helpline" in message.subject
    form_url = client.get(link_in(message)).url
    response = client.post(
        form_url, {"new_password1": "brand-new-pass-77", "new_password2": "brand-new-pass-77"}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    requester_a.refresh_from_db()
    assert requester_a.check_password("brand-new-pass-77")
    # Signed in straight away, and that sign-in is logged.
    assert client.session["_auth_user_id"] == str(requester_a.pk)
    assert Event.objects.filter(action="auth.login", actor=requester_a).exists()


def test_auto_registered_requester_sets_a_first_password(client, support):
    requester = requester_register(email="petra@initech.test", name="Petra Hansen")
    assert not requester.has_usable_password()
    client.post(RESET, {"email": "petra@initech.test"})
    assert len(mail.outbox) == 1
    form_url = client.get(link_in(mail.outbox[0])).url
    client.post(form_url, {"new_password1": "first-pass-4711", "new_password2": "first-pass-4711"})
    requester.refresh_from_db()
    assert requester.check_password("first-pass-4711")
    client.logout()
    response = client.post(
        reverse("accounts:login"), {"username": "petra@initech.test", "password": "first-pass-4711"}
    )
    assert response.status_code == 302


def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_mail(client, requester_b):
    requester_b.is_active = False
    requester_b.save()
    for email in ("nobody@nowhere.test", requester_b.email):
        response = client.post(RESET, {"email": email})
        assert response.status_code == 302 and response.url == reverse(
            "accounts:password_reset_done"
        )
    assert mail.outbox == []


def test_a_used_link_no_longer_works(client, requester_a):
    client.post(RESET, {"email": requester_a.email})
    link = link_in(mail.outbox[0])
    form_url = client.get(link).url
    client.post(
        form_url, {"new_password1": "brand-new-pass-77", "new_password2": "brand-new-pass-77"}
    )
    client.logout()
    response = client.get(link, follow=True)
    assert "This link no longer works" in response.content.decode()


def test_weak_or_mismatched_passwords_are_refused(client, requester_a):
    client.post(RESET, {"email": requester_a.email})
    form_url = client.get(link_in(mail.outbox[0])).url
    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    requester_a.refresh_from_db()
    assert not requester_a.check_password("12345678")
