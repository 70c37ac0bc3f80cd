"""`helpline serve` for real: Granian, WhiteNoise and the in-process worker in a subprocess."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def production_env(data_dir: Path) -> dict[str, str]:
    """The environment of a real installation: no test settings, a fresh data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HELPLINE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["HELPLINE_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "helpline.config.settings"
    return env


@pytest.fixture
def served(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "helpline.config.cli", "serve", "--port", str(port)],
        env=production_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield process, f"http://127.0.0.1:{port}", tmp_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_healthy(process, base: str) -> dict:
    deadline = time.monotonic() + STARTUP_SECONDS
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"helpline serve exited early:\n{process.stdout.read()}")
        try:
            status, _headers, body = fetch(f"{base}/healthz")
        except OSError:
            status, body = None, b""
        if status == 200:
            return json.loads(body)
        last = (status, body)
        time.sleep(0.25)
    pytest.fail(f"/healthz never answered 200 (last: {last})")


def test_serve_answers_health_and_static_files_then_stops_on_ctrl_c(served):
    process, base, data_dir = served

    # when it has started, the database and the worker (heartbeat at start) are healthy
    health = wait_healthy(process, base)
    assert health["checks"]["database"] == {"ok": True, "vendor": "sqlite"}
    assert health["checks"]["worker"]["ok"] is True

    # static files were collected under hashed names and WhiteNoise serves them for good
    manifest = json.loads((data_dir / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["helpline/app.css"]
    assert hashed != "helpline/app.css"
    status, headers, body = fetch(f"{base}/static/{hashed}")
    assert status == 200
    source = (settings.BASE_DIR / "static" / "helpline" / "app.css").read_bytes()
    assert body[:200] == source[:200]
    assert "immutable" in headers["cache-control"]
    assert fetch(f"{base}/static/helpline/app.css")[0] == 200
    assert fetch(f"{base}/static/no-such-file.css")[0] == 404

    # a browser holds several idle keep-alive connections; more of them than web threads must
    # not make later requests wait (a connection-count backpressure once hung page loads)
    held = [
        http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=5)
        for _n in range(8)
    ]
    for connection in held:
        connection.request("GET", "/healthz")
        assert connection.getresponse().read()
    for connection in reversed(held):
        connection.request("GET", f"/static/{hashed}")
        assert connection.getresponse().status == 200
        connection.close()

    # state lives in the data directory
    assert (data_dir / "helpline.sqlite3").exists()
    assert (data_dir / "secret_key").exists()

    # Ctrl-C stops the server, then the worker, cleanly
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert f"Helpline is running at {base}/" in output
    assert "Helpline stopped." in output


def test_serve_refuses_when_tasks_run_inline():
    # The test settings run tasks inline; there is then no queue for a worker to consume.
    with pytest.raises(CommandError, match="HELPLINE_TASKS_IMMEDIATE"):
        call_command("serve", "--no-migrate")


def test_worker_refuses_when_tasks_run_inline():
    with pytest.raises(CommandError, match="HELPLINE_TASKS_IMMEDIATE"):
        call_command("worker")
