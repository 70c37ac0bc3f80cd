"""The Django mail backend that queues: `send_mail()` and friends store the message in the
outbox, in the caller's transaction, and the worker delivers it after commit."""

import email
import email.policy
import re

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend


class QueuedEmailBackend(BaseEmailBackend):
    """EMAIL_BACKEND for Helpline: never talks to a mail server inside a request.

    Delivery goes through EMAIL_DELIVERY_BACKEND (SMTP by default) in a worker task, with
    retries and back-off; see `helpline.mail.services`.
    """

    def send_messages(self, email_messages):
        from .services import outbox_message_queue

        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            outbox_message_queue(message=message)
            queued += 1
        return queued


class _Serialised:
    """The stored bytes standing in for the MIME object Django's backends ask `message()` for."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return re.sub(rb"\r?\n", linesep.encode(), self.raw)

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "replace")

    def __getitem__(self, name):
        return email.message_from_bytes(self.raw, policy=email.policy.default)[name]


def _addresses(parsed, header: str) -> list[str]:
    try:
        value = parsed.get(header)
    except (ValueError, TypeError, IndexError):
        # A header the parser cannot rebuild (an encoded display name hiding a line break):
        # the envelope decides where the stored bytes go, this is only for show.
        return []
    if value is None:
        return []
    return [
        address.addr_spec if not address.display_name else str(address)
        for address in value.addresses
    ]


class StoredEmailMessage(EmailMultiAlternatives):
    """An outbox row as an EmailMessage: the delivery backend sends the stored bytes unchanged
    to the stored envelope; subject, body and addresses are parsed back for backends that look
    at them (the locmem backend of the tests)."""

    def __init__(self, *, raw: bytes, sender: str, recipients: list[str]):
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        plain = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        to, cc = _addresses(parsed, "To"), _addresses(parsed, "Cc")
        super().__init__(
            subject=str(parsed.get("Subject", "")),
            body=plain.get_content() if plain is not None else "",
            from_email=sender,
            to=to,
            cc=cc,
            bcc=[address for address in recipients if address not in to + cc],
        )
        if html is not None and html is not plain:
            self.attach_alternative(html.get_content(), "text/html")
        self._raw = raw
        self._envelope = list(recipients)

    def recipients(self):
        return list(self._envelope)

    def message(self):
        return _Serialised(self._raw)
