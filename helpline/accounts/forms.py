"""Forms for signing in, signing up, resetting a password and editing one's profile."""

from allauth.account.forms import LoginForm, ResetPasswordForm, ResetPasswordKeyForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from .models import StaffNotice


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


class SignInForm(BootstrapFormMixin, LoginForm):
    """allauth's sign-in by email and password with our labels (the pause after repeated
    failures is allauth's rate limit, keyed by the adapter)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Email address")
        login.widget.attrs.update({"autofocus": True, "autocomplete": "email"})
        login.widget.attrs.pop("placeholder", None)
        password = self.fields["password"]
        password.help_text = ""
        password.widget.attrs.pop("placeholder", None)


class PasswordResetRequestForm(BootstrapFormMixin, ResetPasswordForm):
    """allauth's reset, also for requesters registered from a request who never had a password.

    Known, unknown and inactive addresses all take the same path to one mail and the same page
    (settings: ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS). Only a person's primary address receives the
    link, so using it proves that address (selfservice.password_reset_recorded).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = _("Email address")
        email.widget.attrs.update({"autofocus": True, "autocomplete": "email"})
        email.widget.attrs.pop("placeholder", None)

    def clean_email(self):
        email = super().clean_email()
        self.users = [user for user in self.users if user.email.lower() == email.lower()]
        return email


class SignupForm(BootstrapFormMixin, AllauthSignupForm):
    """Name, email and the password twice; allauth creates an unusable-until-confirmed account.

    An address that already belongs to someone gets a mail instead of an account (allauth's
    enumeration prevention); the password is hashed in that branch too, so the time taken does
    not tell the branches apart.
    """

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    field_order = ("name", "email", "password1", "password2")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email address")
        self.fields["password2"].label = _("Password again")
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)
        self.order_fields(self.field_order)

    def clean(self):
        cleaned = super().clean()
        if "password2" in self.errors.as_data():
            # allauth's wording, in the product's voice.
            self.errors["password2"] = self.error_class([_("The two passwords are not the same.")])
        return cleaned

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)


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
    staff_notices = forms.MultipleChoiceField(
        label=_("Mail me when"),
        required=False,
        choices=StaffNotice.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Letters about requests you may see; never about your own actions."),
    )

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("As my browser prefers")),
            *[(code, label) for code, label in settings.LANGUAGES],
        ]
        if staff:
            self.fields["staff_notices"].widget.attrs["class"] = "form-check-input"
        else:
            del self.fields["staff_notices"]


class NewPasswordForm(BootstrapFormMixin, ResetPasswordKeyForm):
    """allauth's choose-a-password form (from a reset or set-password link) with our look."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("New password")
        self.fields["password2"].label = _("New password again")
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)


class AddressForm(BootstrapFormMixin, forms.Form):
    """Add, remove or make primary one of a person's addresses (profile and people pages)."""

    ACTIONS = ("add", "remove", "primary")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    email = forms.EmailField(
        label=_("Another email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
