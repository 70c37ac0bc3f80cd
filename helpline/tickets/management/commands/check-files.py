"""`helpline check-files`: stored attachment files against their rows, both ways."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpline.tickets.services.stored_files import attachment_files_check


class Command(BaseCommand):
    help = (
        "Find attachment files that no attachment refers to, and attachments whose file is "
        "missing. --delete-orphans deletes the unreferenced files older than an hour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete-orphans",
            action="store_true",
            help="Delete files that no attachment refers to (not those written in the last hour).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        report = attachment_files_check(
            delete_orphans=options["delete_orphans"], progress=self.progress
        )
        done = "deleted" if report.deleted else "kept; --delete-orphans deletes it"
        for name in report.orphans:
            self.stdout.write(f"  file without an attachment ({done}): {name}")
        for name in report.recent_orphans:
            self.stdout.write(f"  file without an attachment, newer than an hour: {name}")
        for missing in report.missing:
            self.stdout.write(
                f"  attachment {missing.attachment_id} of request #{missing.ticket_id} "
                f"has no file: {missing.name}"
            )
        style = self.style.SUCCESS if report.clean else self.style.WARNING
        self.stdout.write(style(report.line()))

    def progress(self, kind: str, count: int) -> None:
        self.stdout.write(f"  {kind} {count}")
        self.stdout.flush()
