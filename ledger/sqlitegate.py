"""SQLite: one writer per database, queued on a lock file.

SQLite lets one transaction write at a time and makes the others retry with
growing sleeps (up to 100 ms each), which leaves the database idle while the
next writer sleeps.  Writers that go through :func:`ledger.store.begin_write`
first take an exclusive ``flock`` on ``<database>-writer.lock`` (the threads of
a process queue on a lock in front of it), so the next writer starts as soon as
the previous one ends; the gate opens when the session's transaction ends.
Writers that do not use it (the ``sqlite3`` shell, other tools) still meet
SQLite's own lock, and after :data:`TIMEOUT` seconds a writer stops waiting at
the gate and lets SQLite decide (``busy_timeout``), so the gate never makes
things worse than SQLite alone.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

TIMEOUT = 30.0
_KEY = "ledger.sqlite_gate"


class WriterGate:
    def __init__(self, path: str) -> None:
        self.path, self.pid = path, os.getpid()
        self.local = threading.RLock()
        self.depth = 0
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self, timeout: float) -> bool:
        if not self.local.acquire(timeout=timeout):
            return False
        if self.depth == 0:
            deadline, pause = time.monotonic() + timeout, 0.0001
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        self.local.release()
                        return False
                    time.sleep(pause)
                    pause = min(pause * 2, 0.001)
        self.depth += 1
        return True

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.local.release()


_GATES: dict[str, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(session: Session) -> WriterGate | None:
    """The gate of the session's SQLite file (None for in-memory databases)."""
    database = session.get_bind().url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + "-writer.lock"
    gate = _GATES.get(path)
    if gate is None or gate.pid != os.getpid():  # never an inherited descriptor after a fork
        with _GATES_LOCK:
            gate = _GATES.get(path)
            if gate is None or gate.pid != os.getpid():
                try:
                    gate = _GATES[path] = WriterGate(path)
                except OSError:
                    return None
    return gate


def enter(session: Session) -> WriterGate | None:
    """Wait at the gate for the session's next transaction; None if passed without it."""
    gate = gate_for(session)
    if gate is None or not gate.acquire(TIMEOUT):
        return None
    session.info[_KEY] = gate
    return gate


def leave(session: Session, gate: WriterGate | None) -> None:
    """Open the gate now (the transaction could not begin)."""
    if gate is not None and session.info.get(_KEY) is gate:
        del session.info[_KEY]
        gate.release()


@event.listens_for(Session, "after_transaction_end")
def _open(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        gate = session.info.pop(_KEY, None)
        if gate is not None:
            gate.release()
