"""Time accounting's URLs: under the desk (/desk/…) and the administration (/manage/…)."""

from django.urls import path

from . import views

app_name = "timelog"

urlpatterns = [
    path("desk/tickets/<int:pk>/time/", views.ticket_panel, name="ticket_time"),
    path("desk/tickets/<int:pk>/time/add/", views.entry_add, name="entry_add"),
    path("desk/tickets/<int:pk>/time/start/", views.timer_start, name="timer_start"),
    path("desk/tickets/<int:pk>/time/stop/", views.timer_stop, name="timer_stop"),
    path("desk/time/<int:pk>/", views.entry_edit, name="entry_edit"),
    path("desk/time/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
    path("desk/time/export/", views.time_export, name="time_export"),
    path("desk/activity/", views.activity, name="activity"),
    path("desk/activity/export/", views.activity_export, name="activity_export"),
    path("manage/activity-types/", views.activity_type_index, name="activity_types"),
    path("manage/activity-types/new/", views.activity_type_edit, name="activity_type_new"),
    path("manage/activity-types/<int:pk>/", views.activity_type_edit, name="activity_type"),
]
