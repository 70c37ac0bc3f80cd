"""The project's URLs, plus stand-in sign-in/sign-out routes while accounts has none yet.

The desk layout links `accounts:logout` and sign-in redirects go to `accounts:login`; those
pages belong to another part of the project. Once they exist this module changes nothing.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpline.accounts import urls as accounts_urls
from helpline.config.urls import urlpatterns as project_urlpatterns

_names = {getattr(p, "name", None) for p in accounts_urls.urlpatterns}

if {"login", "logout"} <= _names:
    urlpatterns = list(project_urlpatterns)
else:
    _stand_ins = [
        path("login/", auth_views.LoginView.as_view(), name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    ]
    urlpatterns = [
        path("accounts/", include((_stand_ins, "accounts"))),
        *(p for p in project_urlpatterns if getattr(p, "namespace", None) != "accounts"),
    ]
