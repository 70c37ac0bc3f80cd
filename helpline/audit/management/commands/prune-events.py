"""`helpline prune-events`: the event log's retention, its only removal path."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.audit.services import event_prune
from helpline.core import clock


class Command(BaseCommand):
    help = (
        "Remove events older than --older-than DAYS from the event log (only --action if given, "
        'e.g. auth.login_failed or a family such as "auth."). Records an events.pruned event; '
        "retention records themselves are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, required=True, metavar="DAYS", help="Age in days (≥ 1)."
        )
        parser.add_argument(
            "--action",
            default="",
            help='Only this action ("auth.login_failed") or family ("auth." / "auth.*").',
        )
        parser.add_argument(
            "--batch", type=int, default=1000, help="Events deleted per statement (default 1000)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be removed."
        )

    def handle(self, *args: object, **options: Any) -> None:
        days = options["older_than"]
        if days < 1:
            raise CommandError("--older-than must be at least 1 day.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        result = event_prune(
            before=clock.now() - timedelta(days=days),
            action=options["action"],
            batch=options["batch"],
            dry_run=options["dry_run"],
            progress=self.progress,
        )
        self.stdout.write(self.style.SUCCESS(result.line()))

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  events {done}/{total}")
        self.stdout.flush()
