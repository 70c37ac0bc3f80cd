"""Keep-alive connections spread over the web worker processes.

Every web worker accepts from the one listening socket, and a connection stays with the worker
that accepted it. Connections opened while the server is idle all go to the same worker (the
kernel wakes the waiting workers in a fixed order), so a few long-lived keep-alive clients — a
proxy's upstream pool, a load client, a handful of agents — can all end up in one worker
process while the other sits idle: one core does the work of two (decision 0026).

Each worker publishes how many requests it is serving, and since when it has been idle, in a
small file shared by the workers of one `serve`. A worker serving two or more requests at once
while another has been idle for a while (or serving three or more while another serves at least
two fewer) answers one of them with `Connection: close`; the client opens a new connection,
which the less loaded worker is the likelier to accept. At most one
connection per worker is let go per `SHED_SECONDS`, so the spreading never becomes a stream of
reconnections.
"""

import mmap
import os
import tempfile
import threading
import time

BOARD_VARIABLE = "HELPLINE_SERVE_BOARD"
# A worker counts as idle once it has served nothing for this long: longer than a client's
# turn between two requests on its connection, so a worker with its own clients is not "idle".
IDLE_SECONDS = 0.05
SHED_SECONDS = 0.2
_SLOT = 2  # doubles per worker: requests in progress, idle since (time.monotonic)


def board_create(workers: int, directory: str | None = None) -> str:
    """The shared file for `workers` web workers, all idle; the caller removes it at the end
    (`serve` makes it in its own temporary directory, which goes when the process is gone)."""
    handle, path = tempfile.mkstemp(prefix="serve-", suffix=".board", dir=directory)
    with os.fdopen(handle, "wb") as file:
        file.write(bytes(8 * _SLOT * workers))
    return path


class Board:
    """The workers' shared load figures: each worker writes only its own slot."""

    def __init__(self, path: str, index: int):
        with open(path, "r+b") as file:
            self._map = mmap.mmap(file.fileno(), 0)
        self.values = memoryview(self._map).cast("d")
        self.workers = len(self.values) // _SLOT
        self.index = index

    def publish(self, busy: int, idle_since: float) -> None:
        self.values[self.index * _SLOT + 1] = idle_since
        self.values[self.index * _SLOT] = busy

    def less_loaded(self, busy: int, now: float) -> bool:
        """Whether another worker is clearly less loaded than one serving `busy` requests: it
        has served nothing for IDLE_SECONDS, or it serves at least two fewer."""
        values = self.values
        for worker in range(self.workers):
            if worker == self.index:
                continue
            base = worker * _SLOT
            if values[base] == 0 and now - values[base + 1] >= IDLE_SECONDS:
                return True
            if busy >= 3 and values[base] + 2 <= busy:
                return True
        return False


class Balancer:
    """WSGI middleware in each web worker: counts its requests, lets one go when crowded."""

    def __init__(self, application, board: Board):
        self.application = application
        self.board = board
        self.busy = 0
        self.shed_at = 0.0
        self.lock = threading.Lock()
        board.publish(0, time.monotonic())

    def __call__(self, environ, start_response):
        with self.lock:
            self.busy += 1
            self.board.publish(self.busy, 0.0)

        # HTTP/2 has no `Connection` header, and an HTTP/1.0 client closes by itself.
        keep_alive = environ.get("SERVER_PROTOCOL") == "HTTP/1.1"

        def starting(status, headers, exc_info=None):
            if keep_alive and self._crowded():
                headers = [*headers, ("Connection", "close")]
            return start_response(status, headers, exc_info)

        try:
            return self.application(environ, starting)
        finally:
            with self.lock:
                self.busy -= 1
                self.board.publish(self.busy, time.monotonic())

    def _crowded(self) -> bool:
        now = time.monotonic()
        with self.lock:
            if self.busy < 2 or now - self.shed_at < SHED_SECONDS:
                return False
            if not self.board.less_loaded(self.busy, now):
                return False
            self.shed_at = now
            return True
