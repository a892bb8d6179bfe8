"""ownervote.geventpg: psycopg's wait contract on gevent's loop (no database needed).

psycopg hands the wait function a generator that yields what it waits for on
the socket and takes back what is ready; the function returns the generator's
value.  A socket pair stands in for the connection.
"""

from __future__ import annotations

import socket

import gevent
import pytest
from psycopg import errors
from psycopg.waiting import READY_NONE, READY_R, WAIT_R, WAIT_W

from ownervote import geventpg


def _reader(sock: socket.socket, sent: list[int]):
    """Wait to write once, then to read until data came; return the data."""
    sent.append((yield WAIT_W))
    while True:
        ready = yield WAIT_R
        sent.append(ready)
        if ready & READY_R:
            return sock.recv(100)


def test_it_runs_the_generator_to_its_value_while_others_run() -> None:
    ours, theirs = socket.socketpair()
    try:
        ours.setblocking(False)
        sent: list[int] = []
        gevent.spawn_later(0.05, theirs.send, b"row")  # another greenlet, while we wait
        assert geventpg.wait(_reader(ours, sent), ours.fileno()) == b"row"
        assert sent == [2, 1]  # writable, then readable: exactly what was asked
    finally:
        ours.close()
        theirs.close()


def test_with_a_timeout_it_reports_idle_intervals_then_gives_up() -> None:
    ours, theirs = socket.socketpair()
    try:
        sent: list[int] = []
        with pytest.raises(errors._WaitTimeout):  # noqa: SLF001 - psycopg's own
            geventpg.wait(_reader(ours, sent), ours.fileno(), interval=0.05, timeout=0.3)
        assert sent[0] == 2 and READY_NONE in sent[1:] and len(sent) >= 3
    finally:
        ours.close()
        theirs.close()
