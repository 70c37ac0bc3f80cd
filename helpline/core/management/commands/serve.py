"""`helpline serve`: migrate, collect static files, run worker threads and Granian together."""

import contextlib
import multiprocessing
import signal
import sqlite3
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, connections
from django.utils.module_loading import autodiscover_modules

from helpline.core import startup, uploads
from helpline.core.planner import planner_statistics_refresh
from helpline.core.server import HelplineServer, bind_socket

WSGI_TARGET = "helpline.config.wsgi:application"
# How often the supervising thread replaces worker threads that died (Huey's own `run()` loop,
# which we cannot use outside the main thread, does the same).
WORKER_CHECK_SECONDS = 10
# Running background jobs get this long to finish when the server stops; then they are abandoned
# (Huey puts interrupted jobs back on the queue).
JOBS_SHUTDOWN_SECONDS = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
    """Bring the database schema, SQLite's planner statistics and the collected static files up
    to date.

    Under a lock, so that two first starts at once do not migrate the same database together:
    a file lock in the data directory (processes sharing it) and, on PostgreSQL, an advisory
    lock (servers sharing the database). The second start waits, then finds nothing to do."""
    with startup.file_lock(settings.DATA_DIR / ".prepare.lock"), database_lock():
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        # Sampled, so about 15 ms at 100,000 requests; the worker refreshes them daily.
        planner_statistics_refresh()
        call_command("collectstatic", interactive=False, verbosity=0)


# pg_advisory_lock key: "helpline" in ASCII, to stay clear of other applications' keys.
MIGRATION_LOCK_KEY = 0x68656C706C696E65


@contextlib.contextmanager
def database_lock():
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])


def database_check() -> None:
    """Fail with one line when the database cannot be used: not there, not a database, damaged.

    PostgreSQL is tried with a connection of its own (the pool would retry for 30 seconds)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        path = db["NAME"]
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=20)) as conn:
                conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise startup.StartupError(
                f"The database file {path} cannot be used ({exc}): if it is not an SQLite "
                f"database or is damaged, restore it from a backup or move it away to start "
                f"with an empty one."
            ) from None
        return
    if connection.vendor != "postgresql":
        return
    import psycopg

    options = db.get("OPTIONS", {})
    where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    try:
        psycopg.connect(
            dbname=db.get("NAME") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=options.get("connect_timeout", 5),
            sslmode=options.get("sslmode"),
        ).close()
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = first.rsplit("failed: ", 1)[-1].strip()
        raise startup.StartupError(
            f"Cannot connect to the PostgreSQL database {db.get('NAME')} at {where} ({reason}): "
            f"check HELPLINE_DATABASE_URL and that the database server runs."
        ) from None


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
        options.setdefault("shutdown_timeout", JOBS_SHUTDOWN_SECONDS)
        options["flush_locks"] = periodic  # Huey task locks left by a killed process
        self.periodic = periodic
        self.threads = options.get("workers", 1)
        self.consumer = HUEY.create_consumer(**options)
        self._watchdog = threading.Thread(
            target=self._watch, name="helpline-worker-watchdog", daemon=True
        )

    def start(self) -> None:
        from helpline.core.jobs import worker_started

        # The consumer's start() installs Huey's signal handlers, which only its run() loop
        # reads; keep the process's own.
        handlers = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS + (signal.SIGHUP,)}
        self.consumer.start()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        self._watchdog.start()
        # Frees jobs a killed process left locked and runs overdue ones (the heartbeat first).
        worker_started(periodic=self.periodic)

    def _watch(self) -> None:
        while not self.consumer.stop_flag.wait(WORKER_CHECK_SECONDS):
            self.consumer.check_worker_health()

    def stop(self) -> None:
        """Let running jobs finish, for at most JOBS_SHUTDOWN_SECONDS."""
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


def claim_port(options: dict) -> None:
    """Bind the port before anything else, so a start on a taken port fails at once."""
    if options.get("listener") is None:
        try:
            options["listener"] = bind_socket(options["host"], options["port"])
        except OSError as exc:
            raise startup.StartupError(str(exc)) from None


def _interrupt(signum, _frame):
    raise KeyboardInterrupt


def run_server(command: BaseCommand, options: dict, banner: list[str] | None = None) -> None:
    """Start the worker threads (unless disabled), then Granian in the foreground until Ctrl-C
    or SIGTERM; then stop the web workers, then let running background jobs finish."""
    claim_port(options)
    host, port = options["host"], options["port"]
    workers, threads = max(1, options["workers"]), max(1, options["threads"])
    worker = None if options["no_worker"] else InProcessWorker()
    server = HelplineServer(
        WSGI_TARGET,
        listener=options["listener"],
        board_dir=str(uploads.process_temp_dir()),
        address=host,
        port=port,
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

    try:
        if worker is not None:
            worker.start()
        # Granian installs its own handlers for SIGINT and SIGTERM and returns once one came
        # and its web workers have stopped.
        server.serve()
    finally:
        # Another Ctrl-C or SIGTERM while jobs finish stops without waiting for them.
        for sig in STOP_SIGNALS:
            signal.signal(sig, _interrupt)
        try:
            if worker is not None:
                out.write("Stopping background jobs…")
                out.flush()
                worker.stop()
        except KeyboardInterrupt:
            out.write("Stopped without waiting for running background jobs.")
        finally:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            options["listener"].close()
            uploads.sweep_orphans()
        out.write("Helpline stopped.")
        out.flush()


class Command(BaseCommand):
    help = (
        "Apply migrations, collect static files, then serve Helpline with Granian and run the "
        "background jobs in the same process."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, **options):
        start(options, migrate=not options["no_migrate"])
        run_server(self, options)


def tasks_check(options: dict) -> None:
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate and not options["no_worker"]:
        raise CommandError(
            "HELPLINE_TASKS_IMMEDIATE is on: background jobs run inline, there is no worker "
            "to start. Unset it to serve."
        )


def start(options: dict, *, migrate: bool) -> None:
    """Everything before serving, each failure one line: the port, the database, migrations.
    SIGTERM meanwhile ends the command like Ctrl-C."""
    tasks_check(options)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)
    claim_port(options)
    database_check()
    uploads.sweep_orphans()
    try:
        prepare(migrate=migrate)
    except DatabaseError as exc:
        raise startup.StartupError(
            f"The database failed while migrating ({database_summary()}): {exc}"
        ) from None
