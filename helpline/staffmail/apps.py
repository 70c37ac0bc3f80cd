from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffmailConfig(AppConfig):
    name = "helpline.staffmail"
    label = "staffmail"
    verbose_name = _("Internal mail")

    def ready(self) -> None:
        from . import search

        search.connect()
