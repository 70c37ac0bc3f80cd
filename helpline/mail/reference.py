"""The mail app's reference data (`helpline.core.reference`): what every incoming message
needs and administrators change rarely — our own mailbox addresses, the active stop rules (the
site's settings are `SiteSettings.shared()`). Kept per process, read afresh after any change to
them."""

from django.conf import settings

from helpline.core.reference import reference_models, remembered

from .models import Mailbox, StopRule


def own_addresses() -> frozenset[str]:
    """Our mailboxes' addresses and the default senders: mail from them is our own."""

    mailboxes = remembered(
        "mail:mailbox-addresses",
        lambda: frozenset(a.lower() for a in Mailbox.objects.values_list("address", flat=True)),
    )
    senders = (settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL)
    return mailboxes | {value.rsplit("<", 1)[-1].rstrip(">").strip().lower() for value in senders}


def stop_rules_active() -> list[StopRule]:
    """The active stop rules (their hit counters move by UPDATE and are not read from here)."""
    return list(
        remembered(
            "mail:stop-rules", lambda: list(StopRule.objects.filter(is_active=True).order_by("pk"))
        )
    )


def connect() -> None:
    reference_models([Mailbox, StopRule])
