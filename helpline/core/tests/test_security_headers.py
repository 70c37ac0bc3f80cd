"""Headers every page sends, and templates that keep the Content-Security-Policy strict."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from helpline.tickets import services
from helpline.tickets.models import Channel

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _check(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def ticket(requester_a, support):
    return services.ticket_create(
        actor=requester_a,
        requester=requester_a,
        subject="Headers",
        body="Check",
        channel=Channel.PORTAL,
        department=support,
    )


def test_pages_of_every_side_send_a_strict_policy(
    client, ticket, requester_a, dispatcher, admin_user
):
    for url in (reverse("accounts:login"), reverse("portal:home"), reverse("core:healthz")):
        _check(client.get(url))
    client.force_login(requester_a)
    for url in (reverse("portal:requests"), reverse("portal:request", args=[ticket.pk])):
        _check(client.get(url))
    client.force_login(dispatcher)
    for url in (reverse("desk:board"), reverse("desk:ticket", args=[ticket.pk])):
        _check(client.get(url))
    client.force_login(admin_user)
    for url in (reverse("manage:index"), reverse("manage:events")):
        _check(client.get(url))


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_carries_inline_code_or_style():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not offenders, "\n".join(offenders)
