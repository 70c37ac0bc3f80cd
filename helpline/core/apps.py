from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "helpline.core"
    label = "core"

    def ready(self) -> None:
        from .models import SiteSettings
        from .reference import reference_models

        # SiteSettings.shared(): every process reads the row afresh after a change to it.
        reference_models([SiteSettings])
