"""Working together: presence on the ticket page, away status, assignment rules."""

from django.urls import path

from . import views

app_name = "teamwork"

urlpatterns = [
    path("tickets/<int:pk>/presence/", views.presence, name="presence"),
    path("status/", views.status, name="status"),
    path("departments/<int:pk>/assignment/", views.assignment, name="assignment"),
]
