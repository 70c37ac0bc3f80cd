from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "helpline.portal"
    label = "portal"
