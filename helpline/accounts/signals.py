"""Sign-in, sign-out and failed sign-in written to the event log (connected in AccountsConfig)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from helpline.audit.services import event_record


def login_recorded(sender, request, user, **kwargs) -> None:
    event_record(actor=user, action="auth.login", obj=user)


def logout_recorded(sender, request, user, **kwargs) -> None:
    if user is not None:
        event_record(actor=user, action="auth.logout", obj=user)


def login_failure_recorded(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked secrets in `credentials`; only the address is kept anyway.
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    event_record(
        actor=None,
        action="auth.login_failed",
        changes={"email": email},
        object_repr=email[:250],
    )


def connect() -> None:
    user_logged_in.connect(login_recorded, dispatch_uid="helpline.auth.login")
    user_logged_out.connect(logout_recorded, dispatch_uid="helpline.auth.logout")
    user_login_failed.connect(login_failure_recorded, dispatch_uid="helpline.auth.login_failed")
