"""/healthz: 200 when the database answers and the worker beat recently, 503 otherwise."""

import time

import pytest
import time_machine
from django.core.cache import cache
from django.db import OperationalError

from helpline.core.health import HEARTBEAT_KEY, HEARTBEAT_MAX_AGE
from helpline.core.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_after_the_worker_beat(client):
    # given the periodic heartbeat ran (tasks run inline in tests)
    worker_heartbeat()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["worker"]["last_heartbeat_seconds_ago"] < 5


def test_unavailable_when_the_worker_never_beat(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "last_heartbeat_seconds_ago": None}


def test_unavailable_when_the_last_beat_is_too_old(client):
    with time_machine.travel(time.time() - HEARTBEAT_MAX_AGE - 60, tick=False):
        worker_heartbeat()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_unavailable_when_the_database_fails(client, monkeypatch):
    worker_heartbeat()

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("helpline.core.health.connection.cursor", broken_cursor)
    response = client.get("/healthz")

    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert database == {"ok": False, "error": "OperationalError"}


def test_unavailable_when_the_cache_fails(client, monkeypatch):
    def broken_get(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken_get)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "error": "ConnectionError"}


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_heartbeat_key_is_written_by_the_immediate_task():
    cache.delete(HEARTBEAT_KEY)
    worker_heartbeat()
    assert time.time() - cache.get(HEARTBEAT_KEY) < 5
