"""Sign-in, sign-out, failed sign-in, sign-up, confirmed addresses and password changes written
to the event log (connected in AccountsConfig). allauth and Django send the signals; the
services in selfservice.py do the writing."""

from allauth.account import signals as allauth_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from helpline.audit.services import event_record

from . import selfservice


def login_recorded(sender, request, user, **kwargs) -> None:
    event_record(actor=user, action="auth.login", obj=user)


def logout_recorded(sender, request, user, **kwargs) -> None:
    if user is not None:
        event_record(actor=user, action="auth.logout", obj=user)


def login_failure_recorded(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked secrets in `credentials`; only the address is kept anyway.
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    event_record(
        actor=None,
        action="auth.login_failed",
        changes={"email": email},
        object_repr=email[:250],
    )


def signup_recorded(sender, request, user, **kwargs) -> None:
    selfservice.signup_recorded(user=user)


def address_confirmed(sender, request, email_address, **kwargs) -> None:
    selfservice.address_confirmed(address=email_address)


def password_reset_recorded(sender, request, user, **kwargs) -> None:
    selfservice.password_changed(user=user, by_reset=True)


def password_change_recorded(sender, request, user, **kwargs) -> None:
    selfservice.password_changed(user=user, by_reset=False)


def connect() -> None:
    user_logged_in.connect(login_recorded, dispatch_uid="helpline.auth.login")
    user_logged_out.connect(logout_recorded, dispatch_uid="helpline.auth.logout")
    user_login_failed.connect(login_failure_recorded, dispatch_uid="helpline.auth.login_failed")
    allauth_signals.user_signed_up.connect(signup_recorded, dispatch_uid="helpline.auth.signup")
    allauth_signals.email_confirmed.connect(
        address_confirmed, dispatch_uid="helpline.auth.address_confirmed"
    )
    allauth_signals.password_reset.connect(
        password_reset_recorded, dispatch_uid="helpline.auth.password_reset"
    )
    for signal in (allauth_signals.password_changed, allauth_signals.password_set):
        signal.connect(password_change_recorded, dispatch_uid=f"helpline.auth.{id(signal)}")
