"""Accounts: sign-in and out, password reset (also a first password), sign-up, profile.

The pages are django-allauth's views (views.py). allauth finds its pages by its own URL names
(`account_login`, ...), so every page is also listed under that name at the same path
(ALLAUTH_URLPATTERNS, included without a namespace in config/urls.py); Helpline's templates and
code use the `accounts:` names.
"""

from django.urls import path, re_path

from . import views

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

ALLAUTH_URLPATTERNS = [_route(route, view, allauth) for route, view, _name, allauth in _PAGES]
