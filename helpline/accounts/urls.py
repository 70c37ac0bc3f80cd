"""Accounts: sign-in and out, password reset (also a first password), sign-up, profile.

The pages are django-allauth's views (views.py). allauth finds its pages by its own URL names
(`account_login`, ...), so every page is also listed under that name at the same path
(ALLAUTH_URLPATTERNS, included without a namespace in config/urls.py); Helpline's templates and
code use the `accounts:` names.
"""

from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from allauth.socialaccount import views as social_views
from allauth.socialaccount.providers.openid_connect import urls as oidc_urls
from django.urls import include, path, re_path

from . import views
from .mfa import key_removal_guarded, recovery_codes_seen, staff_mfa_page

app_name = "accounts"

# (path, view, Helpline's name, allauth's name)
_PAGES = [
    ("login/", views.sign_in, "login", "account_login"),
    ("logout/", views.sign_out, "logout", "account_logout"),
    ("password/reset/", views.password_reset, "password_reset", "account_reset_password"),
    (
        "password/reset/sent/",
        views.password_reset_done,
        "password_reset_done",
        "account_reset_password_done",
    ),
    (
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.password_reset_confirm,
        "password_reset_confirm",
        "account_reset_password_from_key",
    ),
    (
        "password/reset/done/",
        views.password_reset_complete,
        "password_reset_complete",
        "account_reset_password_from_key_done",
    ),
    ("signup/", views.signup, "signup", "account_signup"),
    ("signup/sent/", views.signup_sent, "signup_sent", "account_email_verification_sent"),
    (
        r"^signup/confirm/(?P<key>[-:\w]+)/$",
        views.signup_confirm,
        "signup_confirm",
        "account_confirm_email",
    ),
    ("inactive/", views.inactive, "inactive", "account_inactive"),
]


def _route(route, view, name):
    return (
        re_path(route, view, name=name) if route.startswith("^") else path(route, view, name=name)
    )


urlpatterns = [
    *[_route(route, view, name) for route, view, name, _allauth in _PAGES],
    path("profile/", views.profile, name="profile"),
    path("profile/addresses/", views.addresses, name="addresses"),
    path("profile/addresses/confirm/<str:token>/", views.address_confirm, name="address_confirm"),
]

# Two-step sign-in (allauth.mfa), under allauth's names. The second sign-in step and the passkey
# sign-in belong to signing in; the rest manages a staff member's own authenticators.
_MFA_PAGES = [
    ("", staff_mfa_page(views.security), "mfa_index"),
    ("authenticate/", mfa_views.authenticate, "mfa_authenticate"),
    ("reauthenticate/", staff_mfa_page(mfa_views.reauthenticate), "mfa_reauthenticate"),
    ("totp/activate/", staff_mfa_page(totp_views.activate_totp), "mfa_activate_totp"),
    ("totp/deactivate/", staff_mfa_page(totp_views.deactivate_totp), "mfa_deactivate_totp"),
    (
        "recovery-codes/",
        staff_mfa_page(recovery_codes_seen(recovery_views.view_recovery_codes)),
        "mfa_view_recovery_codes",
    ),
    (
        "recovery-codes/generate/",
        staff_mfa_page(recovery_views.generate_recovery_codes),
        "mfa_generate_recovery_codes",
    ),
    (
        "recovery-codes/download/",
        staff_mfa_page(recovery_codes_seen(recovery_views.download_recovery_codes)),
        "mfa_download_recovery_codes",
    ),
    ("keys/", staff_mfa_page(webauthn_views.list_webauthn), "mfa_list_webauthn"),
    ("keys/add/", staff_mfa_page(webauthn_views.add_webauthn), "mfa_add_webauthn"),
    (
        "keys/reauthenticate/",
        staff_mfa_page(webauthn_views.reauthenticate_webauthn),
        "mfa_reauthenticate_webauthn",
    ),
    (
        "keys/<int:pk>/remove/",
        staff_mfa_page(key_removal_guarded(webauthn_views.remove_webauthn)),
        "mfa_remove_webauthn",
    ),
    ("keys/<int:pk>/edit/", staff_mfa_page(webauthn_views.edit_webauthn), "mfa_edit_webauthn"),
    ("passkey/", webauthn_views.login_webauthn, "mfa_login_webauthn"),
]

ALLAUTH_URLPATTERNS = [
    *[_route(route, view, allauth) for route, view, _name, allauth in _PAGES],
    path("reauthenticate/", views.reauthenticate, name="account_reauthenticate"),
    path("two-step/", include([path(r, v, name=n) for r, v, n in _MFA_PAGES])),
    # Single sign-on (OpenID Connect): /accounts/oidc/<provider>/login/ and .../callback/.
    path("sso/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/error/", social_views.login_error, name="socialaccount_login_error"),
    *oidc_urls.urlpatterns,
]
