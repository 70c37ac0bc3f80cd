"""Reply templates on the desk, under /desk/replies/."""

from django.urls import path

from . import views

app_name = "replies"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_create, name="create"),
    path("<int:pk>/", views.template_change, name="change"),
    path("<int:pk>/delete/", views.template_delete, name="delete"),
    # The board's bulk bar: the templates it may apply.
    path("macros/", views.macros, name="macros"),
    # The reply box's typeahead on request `pk`.
    path("for/<int:pk>/", views.suggest, name="suggest"),
]
