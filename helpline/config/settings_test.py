"""Settings for the test suite: the normal settings with a throw-away data directory."""

import os
import tempfile

os.environ.setdefault("HELPLINE_TESTING", "1")
os.environ.setdefault("HELPLINE_TASKS_IMMEDIATE", "1")
os.environ["HELPLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="helpline-test-")
os.environ.setdefault("HELPLINE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault(
    "HELPLINE_EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
os.environ.setdefault("HELPLINE_HEALTH_CACHE_SECONDS", "0")

from .settings import *  # noqa: E402, F403

# WhiteNoise warns on every request when its root is missing; tests serve static through finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A database file, as in production, not Django's in-memory default: the concurrency tests
    # run real threads with a connection each, and an in-memory database shared between
    # connections answers them "table is locked" instead of waiting as a file database does.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
