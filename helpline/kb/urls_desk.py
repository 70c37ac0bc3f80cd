"""The knowledge base at the desk, mounted at /desk/kb/."""

from django.urls import path

from . import views_desk as views

app_name = "kb_desk"

urlpatterns = [
    path("", views.articles, name="articles"),
    path("review/", views.review, name="review"),
    path("new/", views.new, name="new"),
    path("preview/", views.preview, name="preview"),
    path("categories/", views.categories, name="categories"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("comments/", views.comments, name="comments"),
    path("comments/count/", views.comment_count, name="comment_count"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("articles/<int:pk>/edit/", views.edit, name="edit"),
    path("articles/<int:pk>/status/", views.status, name="status"),
    path("articles/<int:pk>/revisions/", views.revisions, name="revisions"),
    path("articles/<int:pk>/revisions/<int:number>/restore/", views.restore, name="restore"),
    path("files/<int:pk>/remove/", views.file_remove, name="file_remove"),
    path("tickets/<int:ticket>/articles/", views.lookup, name="lookup"),
    path("tickets/<int:ticket>/articles/<int:pk>/answered/", views.answered, name="answered"),
    path("entries/<int:entry>/article/", views.from_entry, name="from_entry"),
]
