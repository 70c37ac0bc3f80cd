"""Point Django at the benchmark's database before anything imports the models."""

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path("var") / "bench"


def default_database_url(tickets: int) -> str:
    return f"sqlite:///{(DEFAULT_DATA_DIR / f'bench-{tickets}.sqlite3').resolve()}"


def configure(database_url: str) -> None:
    """Configure Helpline's normal (production) settings against `database_url` and set up Django.

    The production settings on purpose: no debug, the connection pool on PostgreSQL, the real
    cache; what the benchmark times is what an installation runs.
    """
    os.environ["HELPLINE_DATABASE_URL"] = database_url
    os.environ.setdefault("HELPLINE_DATA_DIR", str(DEFAULT_DATA_DIR.resolve()))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.config.settings")
    Path(os.environ["HELPLINE_DATA_DIR"]).mkdir(parents=True, exist_ok=True)

    import django

    django.setup()


def migrate() -> None:
    """What `helpline serve` does before serving: migrations, SQLite's planner statistics, then
    static files (the pages render their hashed names from the manifest)."""
    from django.core.management import call_command

    from helpline.core.planner import planner_statistics_refresh

    call_command("migrate", interactive=False, verbosity=0)
    planner_statistics_refresh()
    call_command("collectstatic", interactive=False, verbosity=0)
