"""One date style: relative text, the exact local time on hover, the viewer's zone and language."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from helpline.core import moments
from helpline.tickets import services
from helpline.tickets.models import Channel

NOW = datetime(2026, 12, 5, 22, 12, tzinfo=UTC)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=5, seconds=30), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(days=4, hours=1), "4 d ago"),
        (timedelta(days=20), "15 Nov"),
        (timedelta(days=400), "31 Oct 2025"),
        (-timedelta(minutes=10), "in 10 min"),
    ],
)
def test_relative_text(ago, text):
    with translation.override("en"), timezone.override(UTC):
        assert moments.relative(NOW - ago, NOW) == text


def test_one_exact_format_in_every_language():
    with timezone.override(UTC):
        for language in ("en", "nb", "ru"):
            with translation.override(language):
                assert moments.exact(NOW) == "2026-12-05 22:12"


def test_older_dates_read_in_the_viewers_language():
    with timezone.override(UTC), translation.override("ru"):
        assert moments.relative(NOW - timedelta(days=20), NOW) == "15 Ноя"


@time_machine.travel(NOW, tick=False)
def test_the_tag_renders_a_time_element_with_the_exact_time_on_hover():
    template = Template('{% moment when %}|{% moment when "small" %}|{% moment nothing %}')
    with translation.override("en"), timezone.override(UTC):
        html = template.render(Context({"when": NOW - timedelta(hours=2), "nothing": None}))
    plain, styled, empty = html.split("|")
    assert plain == (
        '<time datetime="2026-12-05T20:12:00+00:00" title="2026-12-05 20:12">2 h ago</time>'
    )
    assert styled.startswith('<time class="small" datetime=')
    assert empty == ""


def test_times_follow_the_viewer_time_zone_from_the_browser(client, requester_a, support, settings):
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(NOW, tick=False):
        ticket = services.ticket_create(
            actor=requester_a,
            requester=requester_a,
            subject="Printer",
            body="Jams.",
            channel=Channel.PORTAL,
            department=support,
        )
    client.force_login(requester_a)
    url = reverse("portal:request", args=[ticket.pk])

    # The desk's zone when the browser has not said (or said nonsense).
    assert 'title="2026-12-05 22:12"' in client.get(url).content.decode()
    client.cookies["hl_tz"] = "Mars/Olympus_Mons"
    assert 'title="2026-12-05 22:12"' in client.get(url).content.decode()
    # Oslo is an hour ahead in December; Vladivostok ten, on the next day.
    client.cookies["hl_tz"] = "Europe/Oslo"
    assert 'title="2026-12-05 23:12"' in client.get(url).content.decode()
    client.cookies["hl_tz"] = "Asia/Vladivostok"
    assert 'title="2026-12-06 08:12"' in client.get(url).content.decode()


def test_no_template_formats_a_date_another_way():
    """Every date goes through {% moment %}: no `|date`, `naturaltime`, `timesince` left."""
    other_ways = re.compile(r"\|\s*(date|time|naturaltime|naturalday|timesince|timeuntil)\b")
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if other_ways.search(line)
    ]
    assert offenders == []
