"""`helpline demo`: load the demo organisation once, then serve exactly like `helpline serve`."""

from django.core.management.base import BaseCommand, CommandError

from helpline.core.management.commands.serve import (
    add_server_arguments,
    prepare,
    run_server,
    start,
)
from helpline.demo.load import (
    TICKETS,
    DemoAlreadyLoaded,
    NotAnEmptyDesk,
    demo_load,
    demo_loaded,
)
from helpline.demo.people import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = (
        "Load a demo organisation (once; later starts keep what is there), then serve Helpline "
        "like `helpline serve`."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument(
            "--no-serve", action="store_true", help="Only load the demo data, do not serve."
        )
        parser.add_argument(
            "--requests",
            type=int,
            default=TICKETS,
            help=f"How many requests to generate on the first load (default {TICKETS}).",
        )

    def handle(self, *args, **options):
        if options["no_serve"]:
            prepare(migrate=not options["no_migrate"])
        else:
            start(options, migrate=not options["no_migrate"])
        try:
            if demo_loaded():
                raise DemoAlreadyLoaded
            self.stdout.write("Loading the demo organisation…")
            summary = demo_load(tickets=options["requests"], progress=self.progress)
        except DemoAlreadyLoaded:
            self.stdout.write("Demo organisation already loaded; keeping its data.")
        except NotAnEmptyDesk as exc:
            raise CommandError(
                "This database already holds requests that are not demo data. Point "
                "HELPLINE_DATA_DIR (or HELPLINE_DATABASE_URL) at an empty place for the demo."
            ) from exc
        else:
            self.stdout.write(self.style.SUCCESS(summary.line()))
        if options["no_serve"]:
            return
        width = max(len(email) for email, _ in demo_logins())
        banner = [f"  Demo logins (password: {DEMO_PASSWORD}):"]
        banner += [f"    {email:<{width}}  {what}" for email, what in demo_logins()]
        banner.append("  Agents work at /desk/, requesters use the portal at /.")
        run_server(self, options, banner=banner)

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  requests {done}/{total}")
        self.stdout.flush()
