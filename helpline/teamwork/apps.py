from django.apps import AppConfig


class TeamworkConfig(AppConfig):
    name = "helpline.teamwork"
    label = "teamwork"

    def ready(self) -> None:
        from . import reference

        reference.connect()
