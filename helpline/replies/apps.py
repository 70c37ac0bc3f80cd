from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "helpline.replies"
    label = "replies"
