"""The web workers' keep-alive balancing (helpline.core.balance), one worker's middleware at a
time against a shared board whose other slots the tests fill in. The real server is covered by
test_server_process.py (keep-alive clients spread over both workers)."""

import os
import threading
import time

import pytest

from helpline.core.balance import IDLE_SECONDS, SHED_SECONDS, Balancer, Board, board_create

HTTP11 = {"SERVER_PROTOCOL": "HTTP/1.1"}


@pytest.fixture
def board():
    path = board_create(2)
    yield path
    os.unlink(path)


class Held:
    """Requests of one worker that stay in progress until released."""

    def __init__(self):
        self.release = threading.Event()
        self.threads = []

    def done(self) -> None:
        self.release.set()
        for thread in self.threads:
            thread.join(5)


def worker(path: str, index: int = 0):
    """A worker whose requests wait for the test's release, and one answered at once."""
    held = Held()

    def application(environ, start_response):
        if environ.get("hold"):
            held.release.wait(5)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    balancer = Balancer(application, Board(path, index))

    def hold(count: int) -> None:
        wanted = balancer.busy + count
        for _request in range(count):
            thread = threading.Thread(
                target=balancer, args=({**HTTP11, "hold": True}, lambda *args: None)
            )
            thread.start()
            held.threads.append(thread)
        deadline = time.monotonic() + 5
        while balancer.busy < wanted and time.monotonic() < deadline:
            time.sleep(0.001)
        assert balancer.busy == wanted

    def answer(environ=HTTP11) -> list[tuple[str, str]]:
        sent = {}

        def start_response(status, headers, exc_info=None):
            sent["headers"] = headers

        balancer(environ, start_response)
        return sent["headers"]

    return balancer, hold, answer, held


def closes(headers) -> bool:
    return ("Connection", "close") in headers


def test_a_busy_worker_lets_one_connection_go_while_another_is_idle(board):
    Board(board, 1).publish(0, time.monotonic() - 1)
    balancer, hold, answer, held = worker(board)
    try:
        assert not closes(answer())  # alone: nothing to spread
        hold(1)
        assert closes(answer())  # two at once, the other worker idle for a second
        assert not closes(answer())  # once per SHED_SECONDS at most
        time.sleep(SHED_SECONDS)
        assert closes(answer())
        time.sleep(SHED_SECONDS)
        assert not closes(answer({"SERVER_PROTOCOL": "HTTP/2"}))  # no such header in HTTP/2
    finally:
        held.done()


def test_no_connection_is_let_go_while_the_other_worker_is_busy_or_just_idle(board):
    other = Board(board, 1)
    balancer, hold, answer, held = worker(board)
    try:
        hold(1)
        other.publish(1, 0.0)
        assert not closes(answer())
        other.publish(0, time.monotonic())  # between two requests of its own client
        assert not closes(answer())
        time.sleep(IDLE_SECONDS)
        assert closes(answer())
    finally:
        held.done()


def test_three_at_once_against_one_lets_a_connection_go(board):
    other = Board(board, 1)
    other.publish(1, 0.0)
    balancer, hold, answer, held = worker(board)
    try:
        hold(1)
        assert not closes(answer())  # two against one: as even as it gets with three clients
        hold(1)
        assert closes(answer())  # three against one
    finally:
        held.done()
    # every request counted out again, and the worker shown idle since its last one
    assert balancer.busy == 0
    assert Board(board, 0).values[0] == 0 and Board(board, 0).values[1] > 0
