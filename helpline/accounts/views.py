"""Sign-in, sign-out, password reset, sign-up and the profile page.

The language a person picks in their profile is applied by setting Django's language cookie
when they sign in (and when they change it), so LocaleMiddleware does the rest; no extra
middleware and no query per request.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from helpline.core.errors import DomainError
from helpline.core.models import SiteSettings

from . import selfservice
from .forms import (
    EmailAuthenticationForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignupForm,
)

BACKEND = "helpline.accounts.backends.EmailBackend"


def language_cookie_apply(response, language: str):
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


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        # Without a profile language, a pick made in the language menu before signing in stands.
        return language_cookie_apply(response, language) if language else response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {"desk_name": SiteSettings.current().desk_name}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = True
    post_reset_login_backend = BACKEND

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.user.language
        return language_cookie_apply(response, language) if language else response


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()
password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)


def _signup_allowed() -> None:
    if not SiteSettings.current().allow_signup:
        raise Http404


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request):
    _signup_allowed()
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        selfservice.signup_request(
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            site_url=request.build_absolute_uri("/"),
        )
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request):
    _signup_allowed()
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request, token):
    # GET only shows a button: mail scanners that follow links must not use up the token.
    _signup_allowed()
    pending = selfservice.signup_pending(token)
    if request.method == "POST":
        try:
            user = selfservice.signup_confirm(token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:login")
        login(request, user, backend=BACKEND)
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("core:home")
    return render(request, "accounts/signup_confirm.html", {"pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "language": user.language,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            selfservice.profile_update(user=user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Your profile is saved."))
            return language_cookie_apply(redirect("accounts:profile"), user.language)
    return render(request, "accounts/profile.html", {"form": form})
