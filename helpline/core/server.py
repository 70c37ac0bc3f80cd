"""Granian run the way `helpline serve` needs it.

Two departures from Granian's own multi-process server (docs/decisions/0006):

- Helpline binds the listening socket itself, without SO_REUSEPORT, and hands it to the web
  worker processes. Granian binds one SO_REUSEPORT socket per worker on Linux, so a second
  installation started on the same port silently shared it with the first; now the second
  start fails with `PortInUse`.
- Signals never run code that takes a lock. Granian's handlers set a `threading.Event`; a second
  signal arriving while the main thread held that event's lock (Ctrl-C reaches every process of
  the group, and the main process then sends SIGTERM to its workers as well) deadlocked the
  process, so `serve` sometimes never stopped. Here the handlers only set a flag that the main
  threads poll, web workers ignore SIGINT (their parent stops them with SIGTERM), and a web
  worker whose parent has gone away stops by itself.

This module leans on Granian internals (`MPServer`, `WSGIWorker`); pyproject.toml pins Granian's
minor version, and helpline/core/tests/test_serve.py exercises every path here on the real server.
"""

import contextlib
import errno
import os
import signal
import socket
import time

from granian._futures import _new_cbscheduler
from granian._granian import SocketHolder, WorkerSignal, WSGIWorker
from granian._internal import load_target
from granian.constants import Interfaces, TaskImpl
from granian.server.common import WORKERS_METHODS
from granian.server.mp import MPServer, WorkerProcess
from granian.wsgi import _callback_wrapper as wsgi_callback_wrapper

from helpline.core import balance

# How often waiting main threads look at their stop flag.
POLL_SECONDS = 0.1
# A web worker that has not stopped this long after SIGTERM is killed.
WEB_WORKER_KILL_SECONDS = 10
BACKLOG = 1024


class PortInUse(OSError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port that no other process can share (no SO_REUSEPORT).

    Bound at once, so a start on a taken port fails before migrations run; it listens only when
    Granian starts, so clients are refused rather than left waiting meanwhile. Raises OSError
    with a one-line message naming the address when the address cannot be had."""
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(f"Cannot listen on {shown}: unknown address ({exc.strerror}).") from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # SO_REUSEADDR only lets a restart bind while old connections linger in TIME_WAIT; it
        # does not let two listeners share the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"Port {port} is already in use on {host} (another Helpline or another program "
                f"listens there): stop it, or start with another --port."
            ) from None
        if exc.errno == errno.EACCES:
            raise OSError(
                f"Not allowed to listen on port {port}: ports below 1024 need privileges; use "
                f"a port such as 8000 behind a proxy."
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise OSError(
                f"Cannot listen on {shown}: {host} is not an address of this machine."
            ) from None
        raise OSError(f"Cannot listen on {shown}: {exc.strerror}.") from None
    sock.set_inheritable(True)
    return sock


class PollingEvent:
    """The subset of `threading.Event` Granian's main loop uses, without a lock: `set()` may be
    called from a signal handler at any moment, also while the main thread is in `wait()`."""

    def __init__(self):
        self._flag = False

    def set(self) -> None:
        self._flag = True

    def clear(self) -> None:
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._flag:
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        return self._flag


def load_application(target: str):
    """Runs first in every web worker process: Ctrl-C at a terminal reaches the whole process
    group, and the parent stops its workers itself (SIGTERM), so workers ignore SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return load_target(target)


class HelplineServer(MPServer):
    def __init__(
        self, target: str, *, listener: socket.socket, board_dir: str | None = None, **options
    ):
        options.setdefault("workers_kill_timeout", WEB_WORKER_KILL_SECONDS)
        options.setdefault("backlog", BACKLOG)
        options["interface"] = Interfaces.WSGI
        super().__init__(target, **options)
        self.listener = listener
        self.board_dir = board_dir
        self.main_loop_interrupt = PollingEvent()

    def serve(self):
        board = balance.board_create(self.workers, self.board_dir) if self.workers > 1 else None
        if board is not None:
            # Spawned web workers start with this process's environment.
            os.environ[balance.BOARD_VARIABLE] = board
        try:
            super().serve(target_loader=load_application)
        finally:
            if board is not None:
                os.environ.pop(balance.BOARD_VARIABLE, None)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(board)

    def _init_shared_socket(self):
        # Every worker process serves the one socket bound above (Granian's path for systems
        # without SO_REUSEPORT); spawn passes its descriptor to each worker under the same number.
        self.listener.listen(self.backlog)
        self._ssp = None
        self._sso = self.listener
        self._sfd = self.listener.fileno()
        self._shd = SocketHolder(self._sfd, False, self.backlog)

    @staticmethod
    @WorkerProcess.wrap_target
    def _spawn_wsgi_worker(
        worker_id,
        callback,
        sock,
        ipc,
        loop,
        runtime_mode,
        runtime_threads,
        runtime_blocking_threads,
        blocking_threads,
        blocking_threads_idle_timeout,
        backpressure,
        task_impl,
        http_mode,
        http1_settings,
        http2_settings,
        websockets,
        static_path,
        log_access_fmt,
        ssl_ctx,
        scope_opts,
        metrics,
    ):
        """Granian's WSGI worker (granian/server/mp.py) with lock-free signal handling."""
        parent = os.getppid()
        requested: list[int] = []

        def on_signal(signum, _frame):
            requested.append(signum)

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, on_signal)
        stop = WorkerSignal()
        worker = WSGIWorker(
            worker_id,
            sock,
            ipc,
            runtime_threads,
            runtime_blocking_threads,
            blocking_threads,
            blocking_threads_idle_timeout,
            backpressure,
            http_mode,
            http1_settings,
            http2_settings,
            static_path,
            *ssl_ctx,
            metrics,
        )
        serve = getattr(worker, WORKERS_METHODS[runtime_mode][(sock[0] or sock[1]).is_uds()])
        board = os.environ.get(balance.BOARD_VARIABLE)
        if board:
            callback = balance.Balancer(callback, balance.Board(board, worker_id - 1))
        scheduler = _new_cbscheduler(
            loop,
            wsgi_callback_wrapper(callback, scope_opts, log_access_fmt),
            impl_asyncio=task_impl == TaskImpl.asyncio,
        )
        serve(scheduler, loop, stop)
        # The parent stops us with SIGTERM; if it died without doing so (kill -9), stop anyway
        # rather than keep the port open with nobody to supervise us.
        while not requested and os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop.set()
