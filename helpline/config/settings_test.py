"""Settings for the test suite: the normal settings with a throw-away data directory."""

import os
import tempfile

os.environ.setdefault("HELPLINE_TESTING", "1")
os.environ.setdefault("HELPLINE_TASKS_IMMEDIATE", "1")
os.environ["HELPLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="helpline-test-")
os.environ.setdefault("HELPLINE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from .settings import *  # noqa: E402, F403

# WhiteNoise warns about a missing static root on every test request; collectstatic never runs.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
