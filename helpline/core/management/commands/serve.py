"""`helpline serve`: migrate, collect static files, run worker threads and Granian together."""

import multiprocessing
import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils.module_loading import autodiscover_modules

WSGI_TARGET = "helpline.config.wsgi:application"
# How often the supervising thread replaces worker threads that died (Huey's own `run()` loop,
# which we cannot use outside the main thread, does the same).
WORKER_CHECK_SECONDS = 10


def add_server_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
    parser.add_argument("--workers", type=int, default=1, help="Web worker processes (default 1).")
    parser.add_argument(
        "--threads", type=int, default=4, help="Threads per web worker process (default 4)."
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="Do not run background jobs in this process (they run in `helpline worker`).",
    )
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="Skip `migrate` on start (when upgrades are migrated once, elsewhere).",
    )
    parser.add_argument("--access-log", action="store_true", help="Log every request.")


def prepare(*, migrate: bool = True) -> None:
    """Bring the database schema and the collected static files up to date."""
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


class InProcessWorker:
    """Huey's consumer run as threads beside the web server (`start()`, not `run()`: `run()`
    installs signal handlers and blocks the main thread, which Granian needs)."""

    def __init__(self, *, threads: int | None = None, periodic: bool = True):
        from huey.contrib.djhuey import HUEY

        if HUEY.immediate:
            raise CommandError(
                "HELPLINE_TASKS_IMMEDIATE is on: background jobs run inline, there is no worker "
                "to start. Unset it to serve."
            )
        autodiscover_modules("tasks")
        options = dict(settings.HUEY.get("consumer", {}))
        if threads is not None:
            options["workers"] = threads
        options["periodic"] = periodic
        options["flush_locks"] = periodic  # Huey task locks left by a killed process
        self.periodic = periodic
        self.threads = options.get("workers", 1)
        self.consumer = HUEY.create_consumer(**options)
        self._watchdog = threading.Thread(
            target=self._watch, name="helpline-worker-watchdog", daemon=True
        )

    def start(self) -> None:
        from helpline.core.jobs import worker_started

        self.consumer.start()
        self._watchdog.start()
        # Frees jobs a killed process left locked and runs overdue ones (the heartbeat first).
        worker_started(periodic=self.periodic)

    def _watch(self) -> None:
        while not self.consumer.stop_flag.wait(WORKER_CHECK_SECONDS):
            self.consumer.check_worker_health()

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
        self.consumer.huey.notify_interrupted_tasks()


def database_summary() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"SQLite {db['NAME']}"
    return f"{connection.vendor} {db.get('HOST') or 'localhost'}/{db.get('NAME')}"


def display_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run_server(command: BaseCommand, options: dict, banner: list[str] | None = None) -> None:
    """Start the worker threads (unless disabled), then Granian in the foreground until Ctrl-C."""
    from granian.constants import Interfaces
    from granian.server import Server

    host, port = options["host"], options["port"]
    workers, threads = max(1, options["workers"]), max(1, options["threads"])
    worker = None if options["no_worker"] else InProcessWorker()
    server = Server(
        WSGI_TARGET,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        # No backpressure below the backlog: browsers keep up to six idle keep-alive
        # connections open, and a limit per connection count left their later requests hanging.
        websockets=False,
        log_access=options["access_log"],
    )
    # Web workers start from a fresh interpreter instead of a fork of this process, which by
    # then holds worker threads and database connections that a fork would copy mid-use.
    multiprocessing.set_start_method("spawn", force=True)
    connections.close_all()

    jobs = (
        "background jobs in `helpline worker`"
        if worker is None
        else f"{worker.threads} background worker threads"
    )
    summary = (
        f"{database_summary()} · data in {settings.DATA_DIR} · {workers} web process(es) × "
        f"{threads} threads · {jobs}"
    )
    out = command.stdout
    out.write(command.style.SUCCESS(f"Helpline is running at {display_url(host, port)}"))
    out.write(f"  {summary}")
    for line in banner or []:
        out.write(line)
    if host not in {"127.0.0.1", "localhost", "::1"} and not settings.DEBUG:
        out.write(
            "  Reaching it by another name? Add that name to HELPLINE_ALLOWED_HOSTS "
            f"(now: {', '.join(settings.ALLOWED_HOSTS)})."
        )
    out.write("  Press Ctrl-C to stop.")
    out.flush()

    if worker is not None:
        worker.start()
    try:
        server.serve()
    finally:
        # A second Ctrl-C while jobs finish interrupts them instead of being swallowed.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if worker is not None:
            out.write("Stopping background jobs…")
            out.flush()
            worker.stop()
        out.write("Helpline stopped.")


class Command(BaseCommand):
    help = (
        "Apply migrations, collect static files, then serve Helpline with Granian and run the "
        "background jobs in the same process."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, **options):
        prepare(migrate=not options["no_migrate"])
        run_server(self, options)
