"""Single sign-on for staff through OpenID Connect (django-allauth's `allauth.socialaccount`).

The providers come from the environment (helpline/config/sso.py, docs/admin/install.md). A
sign-in through a provider only ever opens an account that exists already: an active staff
member whose address Helpline holds as proved and the provider vouches for (`email_verified`, or
`trust_email` for a directory whose addresses users cannot choose). It never creates an account,
never makes anyone staff, and requesters keep signing in with their password.
"""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from helpline.audit.services import event_record

from .models import Role, User


def sso_providers() -> list[dict]:
    """The configured providers as the sign-in page lists them (no database query)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return [{"id": app["provider_id"], "name": app["name"]} for app in apps]


def sso_staff_for(email: str) -> User | None:
    """The active staff member who holds `email` as a proved address, if any."""
    if not email:
        return None
    return (
        User.objects.filter(
            is_active=True,
            emailaddress__email__iexact=email,
            emailaddress__verified=True,
        )
        .exclude(role=Role.REQUESTER)
        .first()
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return False

    def _vouched_email(self, sociallogin) -> str:
        trust = bool(sociallogin.account.get_provider().app.settings.get("trust_email"))
        for address in sociallogin.email_addresses:
            if address.email and (address.verified or trust):
                return address.email.lower()
        return ""

    def _refuse(self, request, sociallogin, reason: str, email: str = "") -> None:
        event_record(
            actor=None,
            action="auth.sso_refused",
            changes={
                "provider": sociallogin.account.provider,
                "email": email[:254],
                "reason": reason,
            },
            object_repr=email[:250],
        )
        messages.error(
            request,
            _(
                "Single sign-on is for staff of this desk whose account uses the same address. "
                "Ask an administrator, or sign in with your email address and password."
            ),
        )
        raise ImmediateHttpResponse(redirect("accounts:login"))

    def pre_social_login(self, request, sociallogin) -> None:
        """Let in only existing, active staff; connect the provider's account to them the first
        time (by the proved address), and refuse everybody else with an event."""
        email = self._vouched_email(sociallogin)
        if sociallogin.is_existing:
            user = sociallogin.user
            if not user.is_active or user.role == Role.REQUESTER:
                self._refuse(request, sociallogin, "not_staff", user.email)
            return
        if not email:
            self._refuse(request, sociallogin, "address_not_verified")
        user = sso_staff_for(email)
        if user is None:
            self._refuse(request, sociallogin, "no_staff_account", email)
        sociallogin.connect(request, user)
        event_record(
            actor=user,
            action="auth.sso_connected",
            obj=user,
            changes={"provider": sociallogin.account.provider, "email": email},
        )

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        event_record(
            actor=None,
            action="auth.sso_failed",
            changes={
                "provider": getattr(provider, "id", str(provider)),
                "error": str(error or "")[:60],
                "detail": str(exception or "")[:200],
            },
        )
        messages.error(
            request, _("Signing in through the single sign-on provider did not work. Try again.")
        )
        raise ImmediateHttpResponse(redirect("accounts:login"))


def sso_login_recorded(sender, request, user, sociallogin=None, **kwargs) -> None:
    # `auth.login` records the session; this says it came through a provider.
    if sociallogin is not None:
        event_record(
            actor=user,
            action="auth.sso_login",
            obj=user,
            changes={"provider": sociallogin.account.provider},
        )


def connect() -> None:
    from allauth.account.signals import user_logged_in

    user_logged_in.connect(sso_login_recorded, dispatch_uid="helpline.sso.login")
