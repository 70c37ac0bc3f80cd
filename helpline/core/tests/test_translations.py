"""The compiled catalogues ship with the code, so a machine without gettext still translates."""

import pytest
from django.conf import settings
from django.utils import translation

from helpline.tickets.models import StatusCategory, TicketClass


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "Venter på innmelder"), ("ru", "Ожидает заявителя"), ("en", "Pending on requester")],
)
def test_status_names_are_translated(language, expected):
    with translation.override(language):
        assert str(StatusCategory.PENDING.label) == expected


def test_every_language_has_a_compiled_catalogue():
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        compiled = settings.LOCALE_PATHS[0] / code / "LC_MESSAGES" / "django.mo"
        assert compiled.exists(), f"run ./dev messages: {compiled} is missing"
        with translation.override(code):
            assert str(TicketClass.INCIDENT.label) != "Incident"
