from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "helpline.notify"
    label = "notify"
    verbose_name = _("Notifications centre")

    def ready(self) -> None:
        from helpline.tickets.notices import notice_receiver_add

        from .services import notice_record

        notice_receiver_add(notice_record)
