"""Forms for signing in, signing up, resetting a password and editing one's profile."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from . import throttle
from .models import User


class BootstrapFormMixin:
    """Bootstrap classes on every widget, and `is-invalid` on the fields that failed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class EmailAuthenticationForm(BootstrapFormMixin, AuthenticationForm):
    """Email and password, with the sign-in pause after repeated failures."""

    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That email address and password do not match. Check them and try again, or set a "
            "new password."
        ),
        "throttled": _(
            "Too many failed attempts. For your safety, signing in is paused for 15 minutes. "
            "You can set a new password meanwhile."
        ),
    }

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if email and throttle.login_locked(email, ip):
            throttle.login_refusal_record(email)
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if email:
                throttle.login_failure_note(email, ip)
            raise
        if self.user_cache is not None:
            throttle.login_success_note(email)
        return cleaned


class PasswordResetRequestForm(BootstrapFormMixin, PasswordResetForm):
    """Django's reset, also for requesters registered from a mail who never had a password."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def get_users(self, email):
        users = User._default_manager.filter(email__iexact=email.strip(), is_active=True)
        return (u for u in users if u.email.lower() == email.strip().lower())


class SignupForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self):
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords are not the same."))
        return second

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password2")
        if password:
            first, _sep, last = (cleaned.get("name") or "").partition(" ")
            probe = User(email=cleaned.get("email") or "", first_name=first, last_name=last)
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ProfileForm(BootstrapFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("As my browser prefers")),
            *[(code, label) for code, label in settings.LANGUAGES],
        ]


class NewPasswordForm(BootstrapFormMixin, SetPasswordForm):
    """Django's set-password form with our look."""
