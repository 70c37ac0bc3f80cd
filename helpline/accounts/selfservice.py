"""Writes around people's own accounts: sign-up outcomes, expired sign-ups, profile changes.

django-allauth runs the flows (docs/decisions/0004-allauth.md); these services hold what Helpline
adds to them and are called from allauth's signals (signals.py) or the worker (tasks.py).
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from helpline.audit.models import Event
from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import ValidationFailed
from helpline.core.lengths import fitting
from helpline.core.models import SiteSettings

from .addresses import (
    address_make_primary,
    address_normalise,
    address_remove,
    address_taken,
)
from .models import Role, StaffNotice, User
from .services import organisation_for_email


def signup_recorded(*, user: User) -> None:
    """A sign-up form was sent for a new address: the account exists but cannot be used yet."""
    # No actor: nobody has proved anything yet, and an event naming the account as actor would
    # keep the expired sign-up from ever being removed (the event log is append-only).
    event_record(actor=None, action="account.signed_up", obj=user)


@transaction.atomic
def address_confirmed(*, address: EmailAddress) -> None:
    """The owner of `address` opened its confirmation link and pressed the button.

    A requester joins the organisation of their mail domain only now, since the domain is what
    grants the organisation's shared requests. Records account.address_confirmed.
    """
    user = User.objects.select_for_update().get(pk=address.user_id)
    # The button pressed twice at once: the second waits for the first's lock and stops here.
    if Event.objects.filter(
        action="account.address_confirmed", object_id=str(user.pk), changes__email=address.email
    ).exists():
        return
    if user.role == Role.REQUESTER and user.organisation_id is None and address.primary:
        organisation = organisation_for_email(address.email)
        if organisation is not None:
            user.organisation = organisation
            user.save(update_fields=["organisation"])
    event_record(
        actor=user,
        action="account.address_confirmed",
        obj=user,
        changes={"email": address.email},
    )


@transaction.atomic
def password_changed(*, user: User, by_reset: bool) -> None:
    """Record a new password; a reset link only ever goes to the primary address, so using it
    proves that address as well."""
    if by_reset:
        EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).update(
            verified=True
        )
    event_record(
        actor=user,
        action="auth.password_changed",
        obj=user,
        changes={"by": "reset" if by_reset else "user"},
    )


def signups_expired_remove(*, now=None) -> dict[str, int]:
    """Remove sign-ups whose address was never confirmed once their link has expired.

    A pending sign-up is a requester with a password, no confirmed address and no sign-in. If a
    request was meanwhile attached to it (someone wrote from that address), the person stays,
    but the password chosen by whoever signed up is dropped: they set their own through the
    password reset. Each removal is recorded (account.signup_expired). Returns the counts.
    """
    now = now or clock.now()
    cutoff = now - timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS)
    pending = (
        User.objects.filter(
            role=Role.REQUESTER, last_login__isnull=True, date_joined__lt=cutoff, is_staff=False
        )
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(emailaddress__verified=True)
    )
    counts = {"removed": 0, "kept": 0}
    for user_id in pending.values_list("pk", flat=True):
        with transaction.atomic():
            user = pending.select_for_update().filter(pk=user_id).first()
            if user is None:
                continue
            in_use = (
                user.requested_tickets.exists() or Event.objects.filter(actor_id=user.pk).exists()
            )
            event_record(
                actor=None,
                action="account.signup_expired",
                obj=user,
                changes={"email": user.email, "kept": in_use},
            )
            if in_use:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                counts["kept"] += 1
            else:
                user.delete()
                counts["removed"] += 1
    return counts


@transaction.atomic
def profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    phone: str,
    language: str,
    staff_notices: list[str] | None = None,
) -> User:
    """Change one's own name, phone and language, and (staff) which notification letters one
    gets; the change is written to the event log."""
    codes = {code for code, _label in settings.LANGUAGES}
    if language and language not in codes:
        raise ValidationFailed(_("Choose one of the offered languages."), field="language")
    new: dict[str, object] = {
        "first_name": fitting(User, "first_name", first_name.strip()),
        "last_name": fitting(User, "last_name", last_name.strip()),
        "phone": fitting(User, "phone", phone.strip()),
        "language": language,
    }
    if staff_notices is not None:
        if not user.is_agent_side:
            raise ValidationFailed(_("Only staff get notification letters."), field="staff_notices")
        unknown = set(staff_notices) - set(StaffNotice.values)
        if unknown:
            raise ValidationFailed(_("Choose among the offered letters."), field="staff_notices")
        new["staff_notices"] = [code for code in StaffNotice.values if code in staff_notices]
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


# --- one's own addresses (the profile page) -------------------------------------------------

ADDRESS_LIMIT = 10
_ADDRESS_SALT = "helpline.accounts.address-add"


def _address_taken_message() -> str:
    # Says that it is taken, never by whom.
    return _("This address cannot be added: it belongs to another account.")


def own_address_add(*, user: User, email: str, domain: str, use_https: bool) -> str:
    """Start adding another address to one's own account: nothing is stored until the owner of
    the address opens the link mailed to it (own_address_confirm), so typing somebody else's
    address claims nothing. Refuses an address of another person (without saying whose) and
    more than ADDRESS_LIMIT addresses. Records account.address_added and mails the link.
    Returns the normalised address."""
    email = address_normalise(email)
    if not email or "@" not in email:
        raise ValidationFailed(_("A valid email address is required."), field="email")
    if EmailAddress.objects.filter(user=user, email=email).exists():
        raise ValidationFailed(_("This address is already on your account."), field="email")
    if address_taken(email, exclude_user_id=user.pk):
        raise ValidationFailed(_address_taken_message(), field="email")
    if EmailAddress.objects.filter(user=user).count() >= ADDRESS_LIMIT:
        raise ValidationFailed(
            _("An account can have at most %(count)s addresses.") % {"count": ADDRESS_LIMIT},
            field="email",
        )
    token = signing.dumps({"user": user.pk, "email": email}, salt=_ADDRESS_SALT)
    path = reverse("accounts:address_confirm", kwargs={"token": token})
    context = {
        "user": user,
        "email": email,
        "desk_name": SiteSettings.current().desk_name,
        "link": f"{'https' if use_https else 'http'}://{domain}{path}",
        "days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
    }
    event_record(actor=user, action="account.address_added", obj=user, changes={"email": email})
    subject = " ".join(
        render_to_string("accounts/mail/address_confirm_subject.txt", context).split()
    )
    body = render_to_string("accounts/mail/address_confirm.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return email


def address_token_read(*, user: User, token: str) -> str | None:
    """The address a confirmation link is for, if it is valid, unexpired and `user`'s."""
    try:
        data = signing.loads(
            token,
            salt=_ADDRESS_SALT,
            max_age=timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS),
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk:
        return None
    return str(data.get("email") or "") or None


def own_address_confirm(*, user: User, token: str) -> EmailAddress:
    """The owner of the address opened the link mailed by own_address_add: the address joins
    `user`'s account as a confirmed other address. Refused if the link is not valid or not
    `user`'s, or if someone else has the address meanwhile. Records account.address_confirmed."""
    email = address_token_read(user=user, token=token)
    if email is None:
        raise ValidationFailed(_("This link no longer works."))
    try:
        with transaction.atomic():
            if address_taken(email, exclude_user_id=user.pk):
                raise ValidationFailed(_address_taken_message())
            address, created = EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"primary": False, "verified": True}
            )
            if not created and not address.verified:
                address.verified = True
                address.save(update_fields=["verified"])
            event_record(
                actor=user,
                action="account.address_confirmed",
                obj=user,
                changes={"email": email},
            )
    except IntegrityError as exc:  # the unique index: someone took it at the same moment
        raise ValidationFailed(_address_taken_message()) from exc
    return address


@transaction.atomic
def own_address_remove(*, user: User, email: str) -> None:
    """Take one of one's other addresses away (never the primary one); records
    account.address_removed."""
    address = address_remove(user=user, email=email)
    event_record(
        actor=user,
        action="account.address_removed",
        obj=user,
        changes={"email": address.email, "verified": address.verified},
    )


@transaction.atomic
def own_address_make_primary(*, user: User, email: str) -> None:
    """Make one of one's confirmed addresses the primary one; records
    account.address_primary_changed with the old and new address."""
    before = user.email
    address = address_make_primary(user=user, email=email)
    if address.email != before:
        user.email = address.email
        event_record(
            actor=user,
            action="account.address_primary_changed",
            obj=user,
            changes={"email": [before, address.email]},
        )
