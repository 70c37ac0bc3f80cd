"""Top-level URL map: portal at /, the agents' desk at /desk/, accounts, health."""

from django.urls import include, path

from helpline.accounts.urls import ALLAUTH_URLPATTERNS

urlpatterns = [
    path("", include("helpline.core.urls")),
    path("accounts/", include("helpline.accounts.urls")),
    # The same account pages under allauth's own names (reversed by allauth, never resolved
    # first: the namespaced patterns above match the same paths).
    path("accounts/", include(ALLAUTH_URLPATTERNS)),
    # Time accounting's pages under /desk/ and /manage/ (before the desk's own catch-alls).
    path("", include("helpline.timelog.urls")),
    path("desk/replies/", include("helpline.replies.urls")),
    path("desk/team/", include("helpline.teamwork.urls")),
    path("desk/kb/", include("helpline.kb.urls_desk")),
    path("desk/messages/", include("helpline.staffmail.urls")),
    path("desk/notifications/", include("helpline.notify.urls")),
    path("desk/", include("helpline.desk.urls")),
    path("help/", include("helpline.kb.urls_portal")),
    path("manage/", include("helpline.administration.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("helpline.portal.urls")),
]
