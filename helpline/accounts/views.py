"""Sign-in, sign-out, password reset, sign-up and the profile page.

The account pages are django-allauth's views with Helpline's templates and URL names
(docs/decisions/0004-allauth.md); the adapter (adapter.py) holds the product's rules. The
language a person picks in their profile is applied by setting Django's language cookie when
they sign in (adapter.post_login) and when they change it here.
"""

from allauth.account import views as allauth_views
from allauth.core import ratelimit
from allauth.mfa.base import views as mfa_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.core.errors import DomainError
from helpline.core.forms import add_domain_error
from helpline.core.models import SiteSettings

from . import selfservice
from .adapter import language_cookie_apply
from .addresses import addresses_of
from .forms import AddressForm, ProfileForm
from .mfa import mfa_allowed, mfa_required
from .mfa_forms import ReauthenticatePasswordForm
from .sso import sso_providers


class SignInView(allauth_views.LoginView):
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_providers": sso_providers()}


class ReauthenticateView(allauth_views.ReauthenticateView):
    """The password asked again before a change to one's sign-in (adding a key, ...)."""

    template_name = "accounts/reauthenticate.html"
    form_class = ReauthenticatePasswordForm


class SecurityView(mfa_views.IndexView):
    """Two-step sign-in: the staff member's authenticators, and whether it is required."""

    template_name = "mfa/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mfa_required"] = mfa_required(
            self.request.user, SiteSettings.for_request(self.request)
        )
        return context


class SignOutView(allauth_views.LogoutView):
    """Sign-out is a POST (a link or an image must not sign anybody out)."""

    http_method_names = ["post", "options"]


class PasswordResetView(allauth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(allauth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetFromKeyView(allauth_views.PasswordResetFromKeyView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.request.user.is_authenticated and isinstance(response, HttpResponseRedirect):
            # Signed in straight away (ACCOUNT_LOGIN_ON_PASSWORD_RESET): show the "saved" page,
            # keeping the language cookie the sign-in set. A further sign-in step (MFA) would
            # leave the person signed out and is answered as allauth decides.
            response["Location"] = str(self.success_url)
        return response


class PasswordResetCompleteView(allauth_views.PasswordResetFromKeyDoneView):
    template_name = "registration/password_reset_complete.html"


class SignupView(allauth_views.SignupView):
    """Requesters create an account; nothing is usable before the address is confirmed."""

    template_name = "accounts/signup.html"

    def dispatch(self, request, *args, **kwargs):
        if not SiteSettings.current().allow_signup:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        # Per address, whether or not it is known: the same limit and the same answer.
        if not ratelimit.consume(
            self.request, action="signup_email", key=form.cleaned_data["email"].lower()
        ):
            form.add_error(
                None,
                _(
                    "We have already sent several messages to this address. Look for them in "
                    "your inbox (and spam folder), or try again later."
                ),
            )
            return self.form_invalid(form)
        return super().form_valid(form)


class SignupSentView(allauth_views.EmailVerificationSentView):
    template_name = "accounts/signup_sent.html"


class SignupConfirmView(allauth_views.ConfirmEmailView):
    """GET shows a button, only the POST confirms: mail scanners that follow links must not."""

    template_name = "accounts/signup_confirm.html"

    def post(self, *args, **kwargs):
        try:
            return super().post(*args, **kwargs)
        except Http404:
            # Used, expired or forged: the same page as for GET, never an error.
            self.object = None
            return self.render_to_response(self.get_context_data())


class InactiveView(allauth_views.AccountInactiveView):
    template_name = "accounts/inactive.html"


sign_in = SignInView.as_view()
sign_out = SignOutView.as_view()
password_reset = PasswordResetView.as_view()
password_reset_done = PasswordResetDoneView.as_view()
password_reset_confirm = PasswordResetFromKeyView.as_view()
password_reset_complete = PasswordResetCompleteView.as_view()
signup = SignupView.as_view()
signup_sent = SignupSentView.as_view()
signup_confirm = SignupConfirmView.as_view()
inactive = InactiveView.as_view()
reauthenticate = ReauthenticateView.as_view()
security = SecurityView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None, initial=_profile_initial(user), staff=user.is_agent_side
    )
    if request.method == "POST" and form.is_valid():
        try:
            selfservice.profile_update(user=user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return language_cookie_apply(redirect("accounts:profile"), user.language)
    return _profile_page(request, form=form)


def _profile_page(request, *, form=None, address_form=None, status=200):
    user = request.user
    context = {
        "form": form or ProfileForm(initial=_profile_initial(user), staff=user.is_agent_side),
        "addresses": addresses_of(user),
        "address_form": address_form or AddressForm(initial={"action": "add"}),
        "mfa_allowed": mfa_allowed(user),
    }
    return render(request, "accounts/profile.html", context, status=status)


def _profile_initial(user) -> dict:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "language": user.language,
        "staff_notices": user.staff_notices,
    }


@login_required
@require_POST
def addresses(request):
    """Add (a link is mailed to the address), remove, or make primary one of one's addresses."""
    user = request.user
    form = AddressForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, address_form=form)
    action, email = form.cleaned_data["action"], form.cleaned_data["email"]
    try:
        if action == "add":
            # allauth's limits: changes per person, and confirmation mails per address.
            if not ratelimit.consume(request, action="manage_email", user=user) or (
                not ratelimit.consume(request, action="confirm_email", key=email.lower())
            ):
                form.add_error(None, _("Too many attempts. Please wait a while and try again."))
                return _profile_page(request, address_form=form, status=429)
            email = selfservice.own_address_add(
                user=user, email=email, domain=request.get_host(), use_https=request.is_secure()
            )
            messages.success(
                request,
                _("We sent a link to %(email)s. Open it to confirm the address.")
                % {"email": email},
            )
        elif action == "remove":
            selfservice.own_address_remove(user=user, email=email)
            messages.success(request, _("%(email)s is removed.") % {"email": email})
        else:
            selfservice.own_address_make_primary(user=user, email=email)
            messages.success(
                request, _("%(email)s is now your primary address.") % {"email": email}
            )
    except DomainError as exc:
        form.add_error("email" if action == "add" else None, exc.message)
        return _profile_page(request, address_form=form)
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def address_confirm(request, token: str):
    """The link mailed to an added address: GET shows a button, only the POST confirms (mail
    scanners follow links)."""
    email = selfservice.address_token_read(user=request.user, token=token)
    error = None
    if request.method == "POST" and email is not None:
        try:
            selfservice.own_address_confirm(user=request.user, token=token)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("%(email)s is confirmed.") % {"email": email})
            return redirect("accounts:profile")
    context = {"email": email, "token": token, "error": error}
    return render(request, "accounts/address_confirm.html", context)
