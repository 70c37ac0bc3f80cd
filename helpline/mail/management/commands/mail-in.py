"""`helpline mail-in [--mailbox NAME]`: one raw message from standard input, for an MTA's pipe
transport (Postfix `pipe`, Exim `pipe`). Exit codes follow sysexits.h, which MTAs understand:
0 stored (or deliberately dropped), 75 EX_TEMPFAIL when the MTA should try again later,
65 EX_DATAERR when retrying cannot help (the message is over the size limit)."""

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Receive one raw RFC 5322 message from standard input (for Postfix or Exim pipe "
        "delivery). Exits 0 when stored, 75 on a temporary failure (the MTA retries), 65 when "
        "the message is refused for good."
    )
    # A pipe delivery runs once per message: no system checks, nothing but the work.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox",
            metavar="NAME",
            help="The mailbox (by name or address) the message was delivered to; its "
            "department and topic receive new requests.",
        )

    def handle(self, *args: object, **options: Any) -> None:
        code = self.deliver(options.get("mailbox"), int(options.get("verbosity", 1)))
        sys.stdout.flush()
        if code:
            raise SystemExit(code)

    def deliver(self, mailbox_name: str | None, verbosity: int) -> int:
        limit = settings.MAIL_MAX_MESSAGE_BYTES
        try:
            raw = sys.stdin.buffer.read(limit + 1)
        except OSError as exc:
            self.stderr.write(f"mail-in: could not read the message: {exc}")
            return EX_TEMPFAIL
        if len(raw) > limit:
            self.stderr.write(
                f"mail-in: message larger than {limit // (1024 * 1024)} MB refused "
                "(HELPLINE_MAIL_MAX_MESSAGE_MB)"
            )
            return EX_DATAERR
        try:
            from helpline.mail.ingest import TemporaryFailure, receive
            from helpline.mail.models import Mailbox

            mailbox = None
            if mailbox_name:
                name = mailbox_name.strip()
                mailbox = (
                    Mailbox.objects.filter(name=name).first()
                    or Mailbox.objects.filter(address=name.lower()).first()
                )
                if mailbox is None:
                    # A configuration mistake: the MTA keeps the message until it is fixed.
                    self.stderr.write(f"mail-in: no mailbox named {name!r}; message deferred")
                    return EX_TEMPFAIL
            receipt = receive(raw, mailbox=mailbox)
        except TemporaryFailure as exc:
            self.stderr.write(f"mail-in: temporary failure, try again later: {exc}")
            return EX_TEMPFAIL
        except DatabaseError as exc:
            self.stderr.write(f"mail-in: database unavailable, try again later: {exc}")
            return EX_TEMPFAIL
        if verbosity >= 2:
            ticket = f" #{receipt.ticket.pk}" if receipt.ticket else ""
            held = f" quarantine {receipt.quarantined.pk}" if receipt.quarantined else ""
            self.stdout.write(f"mail-in: {receipt.outcome}{ticket}{held}")
        return EX_OK
