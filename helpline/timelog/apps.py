from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "helpline.timelog"
    verbose_name = _("Time accounting")
