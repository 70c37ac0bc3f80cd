"""`helpline fetchmail`: one pass over every active mailbox (or one), reporting per mailbox."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.mail.models import Mailbox
from helpline.mail.polling import mailboxes_poll


class Command(BaseCommand):
    help = (
        "Fetch new mail now from every active IMAP and POP3 mailbox (or only --mailbox NAME), "
        "whether or not it is due, and say per mailbox what happened. Exits 1 if any failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="Only the mailbox with this name.")

    def handle(self, *args: object, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(
            is_active=True, protocol__in=[Mailbox.Protocol.IMAP, Mailbox.Protocol.POP3]
        )
        if options["mailbox"]:
            mailboxes = Mailbox.objects.filter(name=options["mailbox"])
            if not mailboxes.exists():
                raise CommandError(f"No mailbox is named {options['mailbox']!r}.")
            if not mailboxes[0].polled:
                raise CommandError(f"Mailbox {options['mailbox']!r} is not IMAP or POP3.")
        ids = list(mailboxes.order_by("name").values_list("pk", flat=True))
        if not ids:
            self.stdout.write("No IMAP or POP3 mailbox is active.")
            return
        reports = mailboxes_poll(mailbox_ids=ids)
        failed = False
        for report in reports:
            style = self.style.ERROR if report.error else self.style.SUCCESS
            failed = failed or bool(report.error)
            self.stdout.write(style(f"{report.mailbox}: {report.summary()}"))
        if failed:
            raise CommandError("Some mailboxes could not be checked (see above).", returncode=1)
