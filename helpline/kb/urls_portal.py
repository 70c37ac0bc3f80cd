"""The help centre in the portal, mounted at /help/."""

from django.urls import path

from . import views_portal as views

app_name = "help"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("saved/", views.saved, name="saved"),
    path("categories/<int:pk>/", views.category, name="category"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("articles/<int:pk>/vote/", views.vote, name="vote"),
    path("articles/<int:pk>/comment/", views.comment, name="comment"),
    path("articles/<int:pk>/save/", views.favourite, name="favourite"),
    path("files/<int:pk>/", views.file, name="file"),
]
