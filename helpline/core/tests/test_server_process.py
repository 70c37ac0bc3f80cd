"""The `helpline serve` process under faults, for real: subprocesses on free loopback ports, each
with its own data directory (SQLite), always killed at the end.

Signals (repeated, to the process group as a terminal sends them and to the main process as
systemd with `KillMode=mixed` does), a taken port, request bodies over the limit, startup errors,
orphaned temporary files."""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_serve import fetch, free_port, production_env, wait_healthy

STOP_SECONDS = 15
MIB = 1024 * 1024
HELPLINE = [sys.executable, "-m", "helpline.config.cli"]


def group_processes(pgid: int) -> list[int]:
    """Live processes (zombies excluded: they have exited) whose process group is `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            found.append(int(entry.name))
    return found


def port_free(port: int) -> bool:
    """Nobody holds the port: a new server could listen on it (connections of the stopped one
    may linger in TIME_WAIT, which SO_REUSEADDR allows, as `helpline serve` sets it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class Served:
    """One `helpline serve` subprocess in its own process group."""

    def __init__(self, data_dir: Path, *args: str, port: int | None = None, env=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*HELPLINE, "serve", "--port", str(self.port), *args],
            env=env or production_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.pgid = self.process.pid
        self.output = ""

    def wait_healthy(self) -> dict:
        return wait_healthy(self.process, self.base)

    def wait_stopped(self, timeout: float = STOP_SECONDS) -> int:
        try:
            self.output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"helpline serve did not stop within {timeout}s:\n{self.output}")
        return self.process.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait()
        if self.process.stdout and not self.process.stdout.closed:
            self.output += self.process.stdout.read()


@pytest.fixture
def servers():
    started: list[Served] = []

    def start(data_dir: Path, *args: str, **kwargs) -> Served:
        served = Served(data_dir, *args, **kwargs)
        started.append(served)
        return served

    yield start
    for served in started:
        served.kill()


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A data directory migrated once, shared by the tests that start and stop servers."""
    data_dir = tmp_path_factory.mktemp("installation")
    subprocess.run(
        [*HELPLINE, "migrate", "--noinput", "-v0"],
        env=production_env(data_dir),
        check=True,
        timeout=120,
    )
    return data_dir


def assert_all_gone(served: Served) -> None:
    deadline = time.monotonic() + 5
    while group_processes(served.pgid) or not port_free(served.port):
        if time.monotonic() > deadline:
            pytest.fail(
                f"after stopping: processes {group_processes(served.pgid)}, port free: "
                f"{port_free(served.port)}\n{served.output}"
            )
        time.sleep(0.1)


# --- stopping -----------------------------------------------------------------------------------

# (signal, to the whole group?) — a terminal's Ctrl-C reaches every process of the group; systemd
# sends KillSignal to every process of the unit unless KillMode=mixed, then to the main one only.
STOPS = [
    pytest.param(signal.SIGINT, True, id="ctrl-c-at-a-terminal"),
    pytest.param(signal.SIGTERM, False, id="sigterm-to-main-systemd-mixed"),
    pytest.param(signal.SIGTERM, True, id="sigterm-to-group-systemd-control-group"),
    pytest.param(signal.SIGINT, False, id="sigint-to-main"),
]


@pytest.mark.parametrize(("sig", "to_group"), STOPS)
def test_serve_stops_on_every_signal_every_time(installation, servers, sig, to_group):
    # Several rounds; in the second the signal comes twice in a row, in the third three times
    # (an impatient Ctrl-C): a signal arriving while the previous one was being handled once
    # deadlocked a process, so that `serve` sometimes never stopped.
    for round_ in range(3 if to_group and sig == signal.SIGINT else 2):
        served = servers(installation, "--no-migrate")
        served.wait_healthy()
        for _repeat in range(1 + round_):
            if to_group:
                os.killpg(served.pgid, sig)
            else:
                served.process.send_signal(sig)
            time.sleep(0.05)
        started = time.monotonic()
        returncode = served.wait_stopped()
        assert returncode == 0, served.output
        assert time.monotonic() - started < STOP_SECONDS
        assert "Helpline stopped." in served.output
        assert "Traceback" not in served.output, served.output
        assert_all_gone(served)


def test_web_workers_stop_when_the_main_process_is_killed(installation, servers):
    served = servers(installation, "--no-migrate")
    served.wait_healthy()
    os.kill(served.process.pid, signal.SIGKILL)
    served.process.wait()
    # the web worker notices it lost its parent and stops, releasing the port
    assert_all_gone(served)


# --- the port -----------------------------------------------------------------------------------


def test_a_taken_port_fails_at_once_with_one_line(installation, servers, tmp_path):
    first = servers(installation, "--no-migrate")
    first.wait_healthy()

    # a second installation on the same port: Granian alone would share it (SO_REUSEPORT)
    second = servers(tmp_path, port=first.port)
    assert second.wait_stopped(timeout=30) == 1
    lines = second.output.strip().splitlines()
    assert lines == [
        f"helpline: Port {first.port} is already in use on 127.0.0.1 (another Helpline or "
        "another program listens there): stop it, or start with another --port."
    ]
    # it failed before touching its own data directory's database
    assert not (tmp_path / "helpline.sqlite3").exists()
    assert first.process.poll() is None
    assert fetch(f"{first.base}/healthz")[0] == 200

    # any other program's socket on the port is refused the same way
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        third = servers(installation, "--no-migrate", port=port)
        assert third.wait_stopped(timeout=30) == 1
        assert f"Port {port} is already in use" in third.output


# --- request size -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory):
    """A server whose largest attachment is 1 MB: requests up to 10 × 1 MiB + 1 MiB."""
    data_dir = tmp_path_factory.mktemp("limits")
    subprocess.run(
        [
            *HELPLINE,
            "shell",
            "-c",
            "from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "from helpline.core.models import SiteSettings; "
            "s = SiteSettings.current(); s.max_attachment_mb = 1; s.save()",
        ],
        env=production_env(data_dir),
        check=True,
        timeout=120,
    )
    served = Served(data_dir, "--no-migrate")
    try:
        served.wait_healthy()
        yield served, data_dir
    finally:
        served.kill()


def http_response(sock: socket.socket, timeout: float = 10) -> tuple[int, bytes]:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


LIMIT = 11 * MIB


def test_oversized_content_length_is_refused_before_the_body_is_sent(small_limit_server):
    served, _data_dir = small_limit_server
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {LIMIT + 1}\r\n\r\n".encode()
        )
        # not a byte of the body sent: the answer comes from the announced length alone
        status, body = http_response(sock)
    assert status == 413
    assert b"at most 11 MB" in body

    # at the limit the request goes through to Django (which refuses it for other reasons)
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {MIB}\r\n\r\n".encode()
            + b"a" * MIB
        )
        assert http_response(sock)[0] == 403  # CSRF: the body was read and judged


def test_oversized_chunked_body_is_cut_off_while_read(small_limit_server):
    served, data_dir = small_limit_server
    sent = 0
    chunk = b"b" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.settimeout(10)
        try:
            while sent < 5 * LIMIT:  # a client that would go on for ever
                sock.sendall(frame)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, body = http_response(sock)
    assert status == 413
    assert b"at most 11 MB" in body
    # the server stopped reading at the limit (the kernel's socket buffers hold a little more)
    assert sent < LIMIT + 8 * MIB
    # and the spooled part is gone
    time.sleep(0.5)
    leftovers = [
        p for p in (data_dir / "tmp").rglob("*") if p.is_file() and p.name != ".owner.lock"
    ]
    assert leftovers == []


def test_chunked_body_within_the_limit_reaches_django(small_limit_server):
    served, _data_dir = small_limit_server
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        sock.settimeout(10)
        page = b""
        while chunk := sock.recv(65536):
            page += chunk
    token = page.split(b'name="csrfmiddlewaretoken" value="', 1)[1].split(b'"', 1)[0]
    cookie = page.split(b"csrftoken=", 1)[1].split(b";", 1)[0]
    form = b"csrfmiddlewaretoken=" + token + b"&login=nobody%40example.org&password=wrong"
    body = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (form[:20], form[20:])
    )
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Cookie: csrftoken="
            + cookie
            + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
            + body
            + b"0\r\n\r\n"
        )
        status, answer = http_response(sock)
        sock.settimeout(10)
        while chunk := sock.recv(65536):
            answer += chunk
    # the form was read (CSRF passed, the sign-in refused, the address shown again), not an
    # empty body
    assert status == 200
    assert b'value="nobody@example.org"' in answer


# --- startup errors -----------------------------------------------------------------------------


def run_helpline(data_dir: Path, *args: str, timeout: float = 60, **env_extra):
    env = production_env(data_dir) | env_extra
    return subprocess.run(
        [*HELPLINE, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line(result, *fragments: str) -> None:
    assert result.returncode == 1, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("helpline: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_unusable_data_directory_is_one_line_naming_it(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    result = run_helpline(a_file / "data", "check")
    assert_one_line(result, f"The data directory {a_file / 'data'} is not usable")

    # read-only even for root
    result = run_helpline(Path("/proc/helpline-data"), "check")
    assert_one_line(result, "The data directory /proc/helpline-data is not usable")


def test_a_file_that_is_not_an_sqlite_database_is_one_line_naming_it(tmp_path, servers):
    database = tmp_path / "helpline.sqlite3"
    database.write_bytes(b"this is not a database, " * 400)
    served = servers(tmp_path)
    assert served.wait_stopped(timeout=60) == 1
    assert served.output.strip().splitlines() == [
        f"helpline: The database file {database} cannot be used (file is not a database): if it "
        "is not an SQLite database or is damaged, restore it from a backup or move it away to "
        "start with an empty one."
    ]


def test_unreachable_postgresql_is_one_line_with_host_and_port_within_seconds(tmp_path):
    started = time.monotonic()
    result = run_helpline(
        tmp_path,
        "serve",
        "--port",
        str(free_port()),
        HELPLINE_DATABASE_URL="postgres://helpline@127.0.0.1:1/helpline",
    )
    assert time.monotonic() - started < 15
    assert_one_line(
        result, "Cannot connect to the PostgreSQL database helpline at 127.0.0.1:1", "refused"
    )


def test_an_empty_secret_key_file_is_replaced_and_the_site_works(tmp_path, servers):
    key_file = tmp_path / "secret_key"
    key_file.write_text("")
    served = servers(tmp_path)
    served.wait_healthy()
    assert len(key_file.read_text().strip()) >= 50
    assert fetch(f"{served.base}/accounts/login/")[0] == 200
    served.process.send_signal(signal.SIGTERM)
    assert served.wait_stopped() == 0
    assert f"the secret key file {key_file} was empty; wrote a new key" in served.output


def test_a_short_secret_key_file_is_refused_with_one_line(tmp_path):
    (tmp_path / "secret_key").write_text("abc\n")
    result = run_helpline(tmp_path, "check")
    assert_one_line(result, f"The secret key file {tmp_path / 'secret_key'} holds no valid key")


def test_two_first_starts_at_once_share_one_migration(tmp_path, servers):
    first = servers(tmp_path)
    second = servers(tmp_path)
    for served in (first, second):
        health = served.wait_healthy()
        assert health["checks"]["database"]["ok"] is True
    key = (tmp_path / "secret_key").read_text()
    for served in (first, second):
        served.process.send_signal(signal.SIGTERM)
        assert served.wait_stopped() == 0
        assert "Traceback" not in served.output, served.output
    assert (tmp_path / "secret_key").read_text() == key
    with sqlite3.connect(tmp_path / "helpline.sqlite3") as db:
        applied = db.execute("SELECT app, name, COUNT(*) FROM django_migrations GROUP BY 1, 2")
        assert all(count == 1 for _app, _name, count in applied)


# --- temporary files ----------------------------------------------------------------------------


def test_serve_removes_temporary_files_left_by_a_crashed_process(installation, servers):
    # a process that had begun receiving an upload dies (kill -9) and leaves its files behind
    script = (
        "import os, django; django.setup(); "
        "from helpline.core.uploads import process_temp_dir; "
        "d = process_temp_dir(); (d / 'tmpx.upload.pdf').write_bytes(b'x' * 100000); "
        "print(d, flush=True); os.kill(os.getpid(), 9)"
    )
    crashed = subprocess.run(
        [sys.executable, "-c", script],
        env=production_env(installation),
        capture_output=True,
        text=True,
        timeout=60,
    )
    orphan = Path(crashed.stdout.strip())
    assert orphan.parent == installation / "tmp"
    assert (orphan / "tmpx.upload.pdf").exists()

    served = servers(installation, "--no-migrate")
    served.wait_healthy()
    assert not orphan.exists()
    served.process.send_signal(signal.SIGTERM)
    assert served.wait_stopped() == 0


# --- keep-alive connections over the web workers -------------------------------------------------


def worker_cpu_seconds(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return found


def test_keep_alive_clients_opened_while_idle_are_spread_over_both_workers(installation, servers):
    """Connections opened one after another at an idle server all reach the same web worker
    (the kernel wakes waiting workers in a fixed order); kept alive, they would leave the other
    worker idle. A crowded worker lets one go with `Connection: close`, and the client's new
    connection reaches the idle one: both workers do a share of the work."""
    import http.client
    import threading

    served = servers(installation, "--no-migrate", "--workers", "2")
    served.wait_healthy()
    workers = [
        pid
        for pid in group_processes(served.pgid)
        if pid != served.process.pid and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(workers) == 2, workers

    def connect():
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        connection.request("GET", "/accounts/login/", headers={"Host": "localhost"})
        connection.getresponse().read()
        return connection

    clients = []
    for _client in range(4):  # one after another, the server idle
        clients.append(connect())
        time.sleep(0.2)
    before = worker_cpu_seconds(workers)
    stop = time.monotonic() + 4
    closed = []

    def work(connection):
        while time.monotonic() < stop:
            # http.client reopens by itself after the server answered `Connection: close`
            connection.request("GET", "/accounts/login/", headers={"Host": "localhost"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            closed.append(response.will_close)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    used = worker_cpu_seconds(workers)
    shares = sorted((used[pid] - before[pid]) for pid in workers)
    assert shares[0] >= 0.25 * sum(shares), (shares, sum(closed), len(closed))
    # letting a connection go is the exception, not a reconnection per request
    assert sum(closed) < 0.05 * len(closed), (sum(closed), len(closed))
