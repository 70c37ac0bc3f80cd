"""`helpline worker`: a stand-alone background-job process for multi-server installations."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules

from helpline.core import uploads


class Command(BaseCommand):
    help = (
        "Run background jobs (Huey consumer) in the foreground. Run exactly one worker with "
        "periodic jobs and start every other one with --no-periodic."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Worker threads (default HELPLINE_WORKER_THREADS, else 2).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Do not schedule periodic jobs (heartbeat, sweeps) from this worker.",
        )

    def handle(self, *args, **options):
        from huey.contrib.djhuey import HUEY

        from helpline.core.jobs import worker_started

        if HUEY.immediate:
            raise CommandError("HELPLINE_TASKS_IMMEDIATE is on: there is no queue to work.")
        autodiscover_modules("tasks")
        consumer_options = dict(settings.HUEY.get("consumer", {}))
        if options["threads"]:
            consumer_options["workers"] = options["threads"]
        consumer_options["periodic"] = not options["no_periodic"]
        # Running jobs get this long to finish on Ctrl-C, then are left for a later run.
        consumer_options.setdefault("shutdown_timeout", 20)
        uploads.sweep_orphans()
        consumer_options["flush_locks"] = not options["no_periodic"]
        consumer = HUEY.create_consumer(**consumer_options)
        self.stdout.write(
            f"Helpline worker: {consumer_options.get('workers', 1)} threads, periodic jobs "
            f"{'off' if options['no_periodic'] else 'on'}. Press Ctrl-C to stop."
        )
        worker_started(periodic=not options["no_periodic"])
        consumer.run()
