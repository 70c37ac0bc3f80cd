from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "helpline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import mfa, signals, sso

        signals.connect()
        mfa.connect()
        sso.connect()
