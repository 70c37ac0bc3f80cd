"""Browser journeys run in the system Chromium against a live server (pytest-django)."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import expect

from conftest import PASSWORD
from e2e.console import watch_errors
from e2e.pages.login import LoginPage
from helpline.tickets.models import Status

# Playwright's sync API runs an event loop in the test thread; the journeys' own database work
# (factories, checks) is still synchronous and safe, Django just cannot tell.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The machines running the suite are small and shared: give a page more than the default 5 s.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parent / "artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 900}
# A phone (the board's cards, the menu drawer and the filter sheet) and a wide desktop screen.
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_executable):
    return {
        **browser_type_launch_args,
        "executable_path": browser_executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def _seeded_database(django_db_setup, django_db_blocker) -> str:
    """The test database as the migrations left it (statuses, the priority matrix), serialized."""
    connection = connections["default"]
    # Taken when the database was created, if any test asked for serialized rollback: earlier
    # transactional tests (the concurrency tests) leave the database flushed.
    seeded = getattr(connection, "_test_serialized_contents", None)
    if seeded:
        return seeded
    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture
def _seeded_database_restorable(_seeded_database):
    # pytest-django serializes the database on the connection it set up with; Playwright's event
    # loop makes Django pick another connection object for the tests (asgiref's Local), which
    # lacks that copy. Hand it the copy, so the serialized rollback restores it after each flush.
    connections["default"]._test_serialized_contents = _seeded_database


@pytest.fixture(scope="session")
def _journey_connections_closed(django_db_setup, browser):
    yield
    # The journeys' connections live in the event loop's context (see above). Close them while
    # that context is current, or PostgreSQL refuses to drop the test database at the end.
    connections.close_all()


@pytest.fixture(autouse=True)
def _live_database(
    _seeded_database_restorable,
    django_db_serialized_rollback,
    live_server,
    _journey_connections_closed,
    _seeded_database,
):
    """Every journey talks to the live server; its data is committed, so the test flushes it.

    The serialized rollback reloads what the migrations seeded, which the flush empties. The
    order matters: the live server starts before the browser, so it stops after the browser has
    closed its connections (its request threads still share the in-memory SQLite database).
    """
    # The first journey of a run can start before its connection was handed the seed (the
    # live server's helper sets the database up first): after an earlier transactional test
    # flushed the database, it would find no statuses. Reload the seed then.
    if not Status.objects.exists():
        connections["default"].creation.deserialize_db_from_string(_seeded_database)
    # Each journey is new browsers on the same address: the sign-in limits counted for
    # 127.0.0.1 by the journeys before (30 sign-ins a minute, in the cache, which the flush
    # does not empty) must not refuse its sign-ins when the journeys run fast.
    cache.clear()


@pytest.fixture
def browser_errors():
    """Console errors and uncaught exceptions of every page opened through `open_as`."""
    return []


@pytest.fixture
def open_as(browser, live_server, browser_errors):
    """open_as(user) → a page in its own browser context, signed in through the login form."""
    contexts = []

    def open_page(user=None, *, password: str = PASSWORD, viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or VIEWPORT, locale="en"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch_errors(page, browser_errors)
        if user is not None:
            LoginPage(page).sign_in(user.email, password)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): a PNG in artifacts/screenshots/ for people to look at.

    Full page by default; `full_page=False` for dialogs, whose backdrop covers the viewport only.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # Toasts sit at the viewport's bottom, so in a full-page picture they float mid-page.
        # Hidden by class, not by an injected style, which the Content-Security-Policy refuses.
        page.evaluate(
            "document.querySelectorAll('.toast.show').forEach(t => t.classList.remove('show'))"
        )
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take
