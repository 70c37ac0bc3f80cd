from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "helpline.tickets"
    label = "tickets"

    def ready(self) -> None:
        from . import reference, search

        reference.connect()
        search.connect()
