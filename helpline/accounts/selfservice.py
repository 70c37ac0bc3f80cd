"""Writes around people's own accounts: sign-up outcomes, expired sign-ups, profile changes.

django-allauth runs the flows (docs/decisions/0004-allauth.md); these services hold what Helpline
adds to them and are called from allauth's signals (signals.py) or the worker (tasks.py).
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils.translation import gettext as _

from helpline.audit.models import Event
from helpline.audit.services import event_record
from helpline.core import clock
from helpline.core.errors import ValidationFailed
from helpline.core.lengths import fitting

from .models import Role, User
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
