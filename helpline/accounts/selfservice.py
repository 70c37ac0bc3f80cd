"""Writes people make to their own account: sign-up with a confirmed address, profile changes."""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from helpline.audit.services import event_record
from helpline.core.errors import Conflict, ValidationFailed
from helpline.core.lengths import fitting
from helpline.core.models import SiteSettings

from .models import User
from .services import requester_register

SIGNUP_TTL_SECONDS = 3 * 24 * 3600
_SIGNUP_KEY = "hl:signup:{token}"


def _send(template: str, subject: str, to: str, context: dict) -> None:
    body = render_to_string(template, context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def signup_request(*, name: str, email: str, password: str, site_url: str) -> None:
    """Start a sign-up: mail a confirmation link, or, when the address already has an account,
    mail how to sign in or set a password instead.

    Nothing is created until the link is used, so nobody can claim someone else's address (and
    with it their organisation's shared requests). The answer on screen is the same whatever
    the address, so sign-up does not reveal which addresses are known.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    # Hash in every branch so the response time does not tell the branches apart either.
    password_hash = make_password(password)
    desk_name = SiteSettings.current().desk_name
    context = {"desk_name": desk_name, "site_url": site_url.rstrip("/"), "name": name}
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        token = secrets.token_urlsafe(32)
        cache.set(
            _SIGNUP_KEY.format(token=token),
            {"email": email, "name": name.strip(), "password": password_hash},
            SIGNUP_TTL_SECONDS,
        )
        context["link"] = reverse("accounts:signup_confirm", kwargs={"token": token})
        _send(
            "accounts/email/signup_confirm.txt",
            _("Confirm your address for %(desk)s") % {"desk": desk_name},
            email,
            context,
        )
        return
    if not existing.is_active:
        return
    context["has_password"] = existing.has_usable_password()
    context["login_link"] = reverse("accounts:login")
    context["reset_link"] = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(existing.pk)),
            "token": default_token_generator.make_token(existing),
        },
    )
    _send(
        "accounts/email/signup_existing.txt",
        _("You already have an account at %(desk)s") % {"desk": desk_name},
        email,
        context,
    )


def signup_pending(token: str) -> dict | None:
    """The sign-up a confirmation link stands for, or None when it expired or was used."""
    return cache.get(_SIGNUP_KEY.format(token=token))


@transaction.atomic
def signup_confirm(*, token: str) -> User:
    """Create the account from a confirmed sign-up (the link proves the mailbox is theirs).

    A requester registered meanwhile from a mail keeps their history and gets the chosen
    password; an account that already has a password is left alone.
    """
    key = _SIGNUP_KEY.format(token=token)
    pending = cache.get(key)
    if not pending:
        raise ValidationFailed(_("This link has expired or has already been used."))
    existing = User.objects.filter(email__iexact=pending["email"]).first()
    if existing is not None and existing.password == pending["password"]:
        return existing  # this very sign-up, confirmed a moment ago (a double click)
    if existing is not None and (existing.has_usable_password() or not existing.is_active):
        cache.delete(key)
        raise Conflict(_("An account with this address already exists. Please sign in."))
    registered = requester_register(email=pending["email"], name=pending["name"])
    # The same link confirmed twice at once (a double click): the second waits for the first
    # here and finds its own password already set, so both end signed in to one account.
    user = User.objects.select_for_update().get(pk=registered.pk)
    if user.password == pending["password"]:
        return user
    if user.has_usable_password():
        raise Conflict(_("An account with this address already exists. Please sign in."))
    user.password = pending["password"]
    user.save(update_fields=["password"])
    cache.delete(key)
    event_record(actor=user, action="account.signed_up", obj=user)
    return user


@transaction.atomic
def profile_update(
    *, user: User, first_name: str, last_name: str, phone: str, language: str
) -> User:
    """Change one's own name, phone and language; the change is written to the event log."""
    codes = {code for code, _label in settings.LANGUAGES}
    if language and language not in codes:
        raise ValidationFailed(_("Choose one of the offered languages."), field="language")
    new = {
        "first_name": fitting(User, "first_name", first_name.strip()),
        "last_name": fitting(User, "last_name", last_name.strip()),
        "phone": fitting(User, "phone", phone.strip()),
        "language": language,
    }
    changes = {
        field: [getattr(user, field), value]
        for field, value in new.items()
        if getattr(user, field) != value
    }
    if not changes:
        return user
    for field, value in new.items():
        setattr(user, field, value)
    user.save(update_fields=list(changes))
    event_record(actor=user, action="account.profile_changed", obj=user, changes=changes)
    return user
