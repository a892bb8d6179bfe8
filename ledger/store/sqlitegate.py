"""SQLite: one writer per database, and the writers of all processes take turns.

SQLite lets one transaction write at a time and makes the others retry with
growing sleeps (up to 100 ms each), which leaves the database idle while the
next writer sleeps — and lets a busy process take the lock again and again
while another starves.  Writers that go through :func:`ledger.store.logstore.begin_write`
first pass this gate, released when the session's transaction ends:

* the threads of a process queue on a lock;
* processes queue on two ``flock`` s beside the database: ``-writer.lock`` (the
  gate) and ``-writer.turn`` (a turnstile).  A process holds the turnstile while
  it waits for the gate, so a process that has just released the gate and wants
  it again queues behind the one already waiting: they alternate.  ``flock``
  blocks in the kernel (the GIL is released) and wakes as soon as the gate is
  free.  Under gevent (``ownervote serve``'s default worker) a waiting worker's
  event loop waits with it; what it waits for is the other worker's batch, a few
  milliseconds, while requests already sent wait in the socket buffers.

Writers that do not pass the gate (the ``sqlite3`` shell, other tools) still
meet SQLite's own lock (``busy_timeout``).  A transaction that ends without its
session noticing (a session dropped mid-transaction) still opens the gate: the
connection's return to the pool releases it.

Both releases are event listeners registered explicitly, per engine (:func:`install`)
and per session factory (:func:`install_sessions`), by :mod:`ownervote.db`'s
``make_engine`` and ``make_session_factory``; importing this module registers nothing.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

_KEY = "ledger.sqlite_gate"


class WriterGate:
    def __init__(self, path: str) -> None:
        self.path, self.pid = path, os.getpid()
        self.gate = os.open(path + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self.turn = os.open(path + "-writer.turn", os.O_RDWR | os.O_CREAT, 0o600)
        self.mutex = threading.Lock()  # released by whichever thread ends the transaction
        self.owner: int | None = None
        self.depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        if self.owner == me:  # a second writer session in the same thread: SQLite decides
            self.depth += 1
            return
        self.mutex.acquire()
        try:
            fcntl.flock(self.turn, fcntl.LOCK_EX)
            try:
                fcntl.flock(self.gate, fcntl.LOCK_EX)
            finally:
                fcntl.flock(self.turn, fcntl.LOCK_UN)
        except BaseException:
            self.mutex.release()
            raise
        self.owner, self.depth = me, 1

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            self.owner = None
            fcntl.flock(self.gate, fcntl.LOCK_UN)
            self.mutex.release()


class _Held:
    """One pass through the gate, released once (by the transaction's end or the pool)."""

    __slots__ = ("gate", "done")

    def __init__(self, gate: WriterGate) -> None:
        self.gate, self.done = gate, False

    def release(self) -> None:
        if not self.done:
            self.done = True
            self.gate.release()


_GATES: dict[str, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(session: Session) -> WriterGate | None:
    """The gate of the session's SQLite file (None for in-memory databases)."""
    database = session.get_bind().engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database)
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


def enter(session: Session) -> _Held | None:
    """Wait at the gate for the session's next (writing) transaction."""
    gate = gate_for(session)
    if gate is None:
        return None
    gate.acquire()
    held = _Held(gate)
    session.info[_KEY] = held
    return held


def attach(session: Session, held: _Held | None) -> None:
    """The transaction began: let its connection's return to the pool release it too."""
    if held is not None:
        session.connection().info[_KEY] = held


def leave(session: Session, held: _Held | None) -> None:
    """Open the gate now (the transaction could not begin)."""
    if held is not None:
        session.info.pop(_KEY, None)
        held.release()


def _open(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        held = session.info.pop(_KEY, None)
        if held is not None:
            held.release()


def _open_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    held = record.info.pop(_KEY, None)
    if held is not None:
        held.release()


def install(engine: Engine) -> None:
    """Open the gate when a connection of ``engine`` goes back to the pool holding a pass.

    Called once per engine by :func:`ownervote.db.make_engine` for SQLite engines (the
    one place that registers storage listeners); importing this module registers nothing.
    """
    event.listen(engine, "checkin", _open_on_checkin)


def install_sessions(sessions: sessionmaker) -> None:
    """Open the gate when a transaction of a session ``sessions`` makes ends.

    Called once per factory by :func:`ownervote.db.make_session_factory`.
    """
    event.listen(sessions, "after_transaction_end", _open)
