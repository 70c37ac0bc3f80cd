from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "helpline.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from . import search

        search.register()
