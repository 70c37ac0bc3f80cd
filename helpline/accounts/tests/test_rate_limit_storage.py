"""Rate-limit counters live in a cache that never evicts a live entry to make room."""

from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD


def test_the_database_cache_never_culls(db):
    # Django's database cache culls a third of its rows once MAX_ENTRIES is passed (300 by
    # default, 20,000 before); a bound no installation reaches switches that off.
    config = settings.CACHES["default"]
    assert config["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert config["OPTIONS"]["MAX_ENTRIES"] >= 2**62
    cache = caches["default"]
    cache.set_many({f"filler:{n}": n for n in range(400)}, timeout=600)
    assert len(cache.get_many([f"filler:{n}" for n in range(400)])) == 400


def test_a_pause_survives_a_full_cache(requester_a):
    client = Client(REMOTE_ADDR="10.0.0.66")
    for _attempt in range(5):
        client.post(reverse("accounts:login"), {"login": requester_a.email, "password": "x"})
    # Plenty of other cached entries arrive (presence, counts, other clients' limits) ...
    caches["default"].set_many({f"filler:{n}": n for n in range(1000)}, timeout=600)
    # ... and the pause still holds.
    response = client.post(
        reverse("accounts:login"), {"login": requester_a.email, "password": PASSWORD}
    )
    assert "paused" in response.content.decode()
