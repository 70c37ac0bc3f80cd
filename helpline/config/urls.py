"""Top-level URL map: portal at /, the agents' desk at /desk/, accounts, health."""

from django.urls import include, path

urlpatterns = [
    path("", include("helpline.core.urls")),
    path("accounts/", include("helpline.accounts.urls")),
    path("desk/", include("helpline.desk.urls")),
    path("manage/", include("helpline.administration.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("helpline.portal.urls")),
]
