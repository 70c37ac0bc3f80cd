"""How django-allauth fits Helpline: who may sign up, rate-limit keys, mails, messages, language.

allauth runs sign-in, sign-out, sign-up with a confirmed address and the password reset
(docs/decisions/0004-allauth.md); this adapter is the one place where its defaults are bent to the
product's rules.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.forms import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from helpline.audit.services import event_record
from helpline.core.models import SiteSettings

from .models import Role

# allauth's confirmations that are worth a line on the next page; it adds others (signed in,
# signed out, password changed) that the product's pages already say in their own words.
_MESSAGES = {
    "account/messages/email_confirmed.txt": _("Welcome! Your account is ready."),
    "account/messages/email_confirmation_failed.txt": _(
        "This address belongs to another account already. Please sign in instead."
    ),
    "mfa/messages/totp_activated.txt": _("The authenticator app is on."),
    "mfa/messages/totp_deactivated.txt": _("The authenticator app is off."),
    "mfa/messages/webauthn_added.txt": _("The key is added."),
    "mfa/messages/webauthn_removed.txt": _("The key is removed."),
    "mfa/messages/recovery_codes_generated.txt": _("New recovery codes are ready."),
}


def user_display(user) -> str:
    return user.display_name


def language_cookie_apply(response, language: str):
    """Remember the person's language in Django's cookie, so LocaleMiddleware needs no query."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
        )
    return response


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _(
            "That email address and password do not match. Check them and try again, or set a "
            "new password."
        ),
        "too_many_login_attempts": _(
            "Too many failed attempts from this device. For your safety, signing in from here is "
            "paused for a while. You can set a new password meanwhile."
        ),
        "rate_limited": _("Too many attempts. Please wait a while and try again."),
    }

    # --- who may sign up ---------------------------------------------------------------------

    def is_open_for_signup(self, request) -> bool:
        return SiteSettings.current().allow_signup

    def save_user(self, request, user, form, commit=True):
        """A sign-up always makes a requester, never staff, and joins no organisation until the
        address is confirmed (selfservice.signup_address_confirmed)."""
        user = super().save_user(request, user, form, commit=False)
        first, _sep, last = (form.cleaned_data.get("name") or "").strip().partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        user.email = user.email.lower()
        user.role = Role.REQUESTER
        user.organisation = None
        user.is_staff = user.is_superuser = False
        if commit:
            user.save()
        return user

    # --- rate limits -------------------------------------------------------------------------

    def get_client_ip(self, request) -> str:
        # TrustedProxyMiddleware has already put the client's address here
        # (HELPLINE_TRUSTED_PROXIES), the same one the event log records.
        return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a key, not a bind)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth counts failures per address across all clients, so a stranger's guesses lock
        # the owner out everywhere. Counting per client + address keeps the brake on guessing
        # while the owner, from any other client, still signs in.
        login = str(credentials.get("email") or credentials.get("username") or "").lower()
        return f"{self.get_client_ip(request)}|{login}"

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            # A refused attempt never reaches authenticate(), so Django sends no
            # user_login_failed signal: log it here.
            email = str(credentials.get("email") or "")[:254]
            event_record(
                actor=None,
                action="auth.login_failed",
                changes={"email": email, "reason": "throttled"},
                object_repr=email[:250],
            )
            raise

    # --- mail and messages ---------------------------------------------------------------------

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        site = SiteSettings.current()
        context = {"desk_name": site.desk_name, "allow_signup": site.allow_signup, **context}
        super().send_mail(template_prefix, email, context)

    def send_account_already_exists_mail(self, email: str) -> None:
        """Sign-up with a known address: how to sign in, or, for a requester registered from a
        request who never had a password, a link to set a first one. Nothing for a closed
        account."""
        from allauth.account.forms import default_token_generator
        from allauth.account.internal.userkit import filter_users_by_email
        from allauth.account.utils import user_pk_to_url_str
        from allauth.core import context as allauth_context

        users = [u for u in filter_users_by_email(email, is_active=True) if u.email == email]
        if not users:
            return
        user = users[0]
        request = allauth_context.request
        key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
        self.send_mail(
            "account/email/account_already_exists",
            email,
            {
                "has_password": user.has_usable_password(),
                "login_url": request.build_absolute_uri(reverse("accounts:login")),
                "password_reset_url": self.get_reset_password_from_key_url(key),
            },
        )

    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ) -> None:
        if message is None:
            message = _MESSAGES.get(message_template or "")
            if message is None:
                return
        messages.add_message(request, level, message, extra_tags=extra_tags)

    # --- confirming it is you -----------------------------------------------------------------

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A sign-in with the password (and second step) in the last few minutes counts as the
        confirmation allauth asks before changes to authenticators: a staff member sent to set
        up two-step sign-in straight after signing in is not asked for the password again."""
        import time

        from allauth.account import app_settings as account_settings
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.core import context as allauth_context

        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = allauth_context.request
        if request is None or not request.user.is_authenticated:
            return True
        fresh = [
            record
            for record in get_authentication_records(request, request.user)
            if record.get("method") in {"password", "mfa"}
            and time.time() - record.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
        ]
        return not fresh

    # --- after signing in ----------------------------------------------------------------------

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        # Without a profile language, a pick made in the language menu before signing in stands.
        return language_cookie_apply(response, user.language) if user.language else response
