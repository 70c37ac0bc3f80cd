"""The requesters' portal, mounted at the site's root."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.requests, name="requests"),
    path("requests/new/", views.new, name="new"),
    path("requests/submitted/", views.submitted, name="submitted"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/reply/", views.reply, name="reply"),
    path("requests/<int:pk>/solved/", views.confirm, name="confirm"),
    path("requests/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("requests/attachments/<int:pk>/", views.attachment, name="attachment"),
]
