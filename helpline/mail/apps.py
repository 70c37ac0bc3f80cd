from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "helpline.mail"
    label = "mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from helpline.core.health import health_part_register

        from .selectors import outbox_health

        health_part_register("outbox", outbox_health)

        from helpline.tickets.notices import notice_receiver_add

        from .notifications import notice_record

        notice_receiver_add(notice_record)

        from . import reference

        reference.connect()
