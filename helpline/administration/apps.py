from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "helpline.administration"
    label = "administration"
