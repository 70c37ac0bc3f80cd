"""`helpline reindex [--kind KIND]`: rebuild the search index from its sources."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.search import engine


class Command(BaseCommand):
    help = (
        "Rebuild the search index (every kind, or --kind ticket / article …) in batches, each in "
        "its own transaction: the desk keeps working meanwhile, and each change made during the "
        "run indexes itself. Rows whose object is gone are dropped at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", action="append", help="Only this kind (repeatable).")
        parser.add_argument("--batch", type=int, default=500, help="Documents per transaction.")

    def handle(self, *args: object, **options: Any) -> None:
        known = engine.sources()
        kinds = options["kind"] or sorted(known)
        unknown = [k for k in kinds if k not in known]
        if unknown:
            raise CommandError(f"Unknown kind {unknown[0]!r}; known: {', '.join(sorted(known))}")
        started = time.monotonic()
        summary = []
        for kind in kinds:
            kind_started = time.monotonic()
            shown = [kind_started]

            def progress(
                done: int, kind: str = kind, shown: list = shown, since: float = kind_started
            ) -> None:
                if time.monotonic() - shown[0] >= 2:
                    shown[0] = time.monotonic()
                    rate = done / max(shown[0] - since, 0.001)
                    self.stdout.write(f"  {kind}: {done} indexed ({rate:.0f}/s)")
                    self.stdout.flush()

            done = engine.reindex(kind, batch=max(1, options["batch"]), progress=progress)
            rate = done / max(time.monotonic() - kind_started, 0.001)
            dropped = engine.prune(kind)
            summary.append(
                f"{kind} {done} ({rate:.0f}/s)" + (f", {dropped} dropped" if dropped else "")
            )
        size = engine.size_bytes()
        gin = engine.gin_size_bytes()
        size_text = f", index {size / 1_048_576:.1f} MB" if size is not None else ""
        if size_text and gin is not None:
            size_text += f" (GIN {gin / 1_048_576:.1f} MB)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Reindexed {', '.join(summary) or 'nothing'} in "
                f"{time.monotonic() - started:.1f} s{size_text}."
            )
        )
