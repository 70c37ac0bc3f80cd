from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "helpline.core"
    label = "core"

    def ready(self) -> None:
        from .models import SiteSettings
        from .reference import reference_models

        # The settings row is reference data (`SiteSettings.for_request`).
        reference_models([SiteSettings])
