"""Configuration is documented in one place: every HELPLINE_* variable the settings read."""

import re

from django.conf import settings

INSTALL_DOC = settings.BASE_DIR.parent / "docs" / "admin" / "install.md"
SETTINGS_FILE = settings.BASE_DIR / "config" / "settings.py"


def test_every_setting_variable_is_documented():
    read = set(re.findall(r"HELPLINE_[A-Z][A-Z_]*", SETTINGS_FILE.read_text()))
    documented = set(re.findall(r"`(HELPLINE_[A-Z][A-Z_]*)`", INSTALL_DOC.read_text()))

    assert read, "no variables found: did settings.py move?"
    assert read - documented == set(), f"document these in {INSTALL_DOC.name}"
