"""The notifications centre, under /desk/notifications/."""

from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("menu/", views.menu, name="menu"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("counters/", views.counters, name="counters"),
]
