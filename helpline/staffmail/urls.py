"""Internal mail, under /desk/messages/."""

from django.urls import path

from . import views

app_name = "staffmail"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("archive/", views.archive, name="archive"),
    path("sent/", views.sent, name="sent"),
    path("new/", views.compose, name="compose"),
    path("<int:pk>/", views.message, name="message"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/archive/", views.archive_change, name="archive_change"),
    path("files/<int:pk>/", views.file, name="file"),
    path("ticket/<int:pk>/", views.ticket_panel, name="ticket_panel"),
]
