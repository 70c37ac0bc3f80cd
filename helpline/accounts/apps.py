from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "helpline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.account.models import EmailAddress

        from helpline.core.lookups import LowerExact

        from . import mfa, reference, signals, sso

        reference.connect()
        # Answered from accounts_emailaddress_email_unique, on lower(email) (migration 0003).
        EmailAddress._meta.get_field("email").register_lookup(LowerExact)

        signals.connect()
        mfa.connect()
        sso.connect()
