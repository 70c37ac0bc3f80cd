"""The second sign-in step's forms: allauth's, with failures limited per client.

allauth counts wrong codes per account, so whoever knows a password could keep the owner out of
the second step by typing wrong codes. Here, as for passwords (adapter.py), the count is kept per
client + account (ACCOUNT_RATE_LIMITS["login_failed"]: 5 in 15 minutes) and per client alone
(20 a minute, 100 an hour): the owner, from any other client, still signs in.
"""

from collections.abc import Callable

from allauth.account import forms as account_forms
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core import context, ratelimit
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base import forms as base_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from allauth.mfa.webauthn.internal import auth as webauthn_auth
from django import forms

from helpline.audit.services import event_record

from .forms import BootstrapFormMixin


def client_rate_limit(user) -> Callable[[], None]:
    """Consume one attempt for this client and account, or refuse (and log) when spent."""
    request = context.request
    key = f"{get_account_adapter(request).get_client_ip(request)}|mfa|{user.pk}"
    if not ratelimit.consume(request, action="login_failed", key=key):
        event_record(
            actor=None,
            action="auth.mfa_failed",
            obj=user,
            changes={"reason": "throttled"},
            object_repr=user.email,
        )
        raise get_account_adapter().validation_error("too_many_login_attempts")
    return lambda: ratelimit.clear(request, action="login_failed", key=key)


class _CodeMixin(BootstrapFormMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.widget.attrs.update(
            {"autofocus": True, "inputmode": "numeric", "autocomplete": "one-time-code"}
        )
        code.widget.attrs.pop("placeholder", None)

    def clean_code(self) -> str:
        # allauth's check (base_forms.BaseAuthenticateForm.clean_code) with the client's limit.
        clear_limit = client_rate_limit(self.user)
        code = self.cleaned_data["code"].replace(" ", "").replace("-", "")
        main = None
        for authenticator in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN
        ):
            if not main or authenticator.type == Authenticator.Type.TOTP:
                main = authenticator
            if authenticator.wrap().validate_code(code):
                authenticator.user = self.user
                self.authenticator = authenticator
                clear_limit()
                return code
        if main:
            self._emit_authentication_failed(main)
        raise get_adapter().validation_error("incorrect_code")


class AuthenticateForm(_CodeMixin, base_forms.AuthenticateForm):
    pass


class ReauthenticateForm(_CodeMixin, base_forms.ReauthenticateForm):
    pass


class _WebAuthnMixin:
    def clean_credential(self) -> Authenticator:
        # allauth's check with the client's limit; a refused key is logged like a wrong code.
        credential = self.cleaned_data["credential"]
        response = webauthn_auth.parse_authentication_response(credential)
        clear_limit = client_rate_limit(self.user)
        try:
            authenticator = webauthn_auth.complete_authentication(self.user, credential)
        except forms.ValidationError:
            event_record(
                actor=None,
                action="auth.mfa_failed",
                obj=self.user,
                changes={"type": Authenticator.Type.WEBAUTHN},
                object_repr=self.user.email,
            )
            raise
        if self.passwordless and not response.response.authenticator_data.is_user_verified():
            raise get_adapter().validation_error("incorrect_code")
        clear_limit()
        return authenticator


class AuthenticateWebAuthnForm(_WebAuthnMixin, webauthn_forms.AuthenticateWebAuthnForm):
    pass


class ReauthenticateWebAuthnForm(_WebAuthnMixin, webauthn_forms.ReauthenticateWebAuthnForm):
    pass


class AddWebAuthnForm(BootstrapFormMixin, webauthn_forms.AddWebAuthnForm):
    pass


class EditWebAuthnForm(BootstrapFormMixin, webauthn_forms.EditWebAuthnForm):
    pass


class ActivateTOTPForm(BootstrapFormMixin, totp_forms.ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.widget.attrs.update({"inputmode": "numeric", "autofocus": True})
        code.widget.attrs.pop("placeholder", None)


class ReauthenticatePasswordForm(BootstrapFormMixin, account_forms.ReauthenticateForm):
    """The password asked again before a change to one's own sign-in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields["password"]
        password.widget.attrs.update({"autofocus": True})
        password.widget.attrs.pop("placeholder", None)
        password.help_text = ""
