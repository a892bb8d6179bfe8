"""Opening the database: the engine and session factory of the app and the tools.

:func:`open_database` builds both for a database URL.  The SQLAlchemy event listeners
the storage layer relies on are registered by the storage kernel's
:func:`ownervote.db.make_engine` and :func:`ownervote.db.make_session_factory`, which
this module calls: that is the one place they are installed, so the tests and the
benchmarks that build their engines with ``make_engine`` get exactly the same ones.
No module installs a listener when it is imported.  What they are:

* every SQLite engine: ``PRAGMA foreign_keys=ON``, ``journal_mode=WAL``,
  ``synchronous=FULL``, ``busy_timeout`` on each new connection; pysqlite's implicit
  ``BEGIN`` taken over, so a transaction opened with the execution option
  ``sqlite_begin="IMMEDIATE"`` starts as the writer; the writers' gate opened when a
  connection holding it goes back to the pool (:func:`ledger.store.sqlitegate.install`);
* every session factory: the casting path's deferred writes sent before any ORM
  statement, flush or commit and its memo dropped at the end of a transaction
  (:func:`ledger.store.castpath.install`); the writers' gate opened when the
  transaction ends (:func:`ledger.store.sqlitegate.install_sessions`).

Also what the shell needs to answer a database failure without importing SQLAlchemy:
:data:`DATABASE_ERRORS` (the exception classes to catch), :func:`is_retryable` and
:func:`discard` (give up a session whose connection may be dead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ownervote.db import make_engine, make_session_factory

__all__ = ["DATABASE_ERRORS", "Database", "Session", "discard", "is_retryable",
           "open_database"]

#: The errors of the database layer a request can meet (outage, pool, driver).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa.DBAPIError, sa.TimeoutError,
                                                 sa.DisconnectionError)

# SQLSTATE classes/codes that mean "not now" rather than "never"
_RETRY_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01", "55P03", "57014")


@dataclass(frozen=True)
class Database:
    """An open database: its engine and the factory of its sessions."""

    engine: Engine
    sessions: sessionmaker

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        """Close the pooled connections (the engine can still be used: it reconnects)."""
        self.engine.dispose()


def open_database(url: str, **engine_options: Any) -> Database:
    """The engine (with the listeners of its backend) and session factory for ``url``."""
    engine = make_engine(url, **engine_options)
    return Database(engine, make_session_factory(engine))


def is_retryable(exc: BaseException) -> bool:
    """Would the same request succeed once the database is back or less busy?

    A restart or fail-over, a dropped connection, a full pool, a lock not had in time
    (SQLite ``database is locked``, PostgreSQL lock or statement time-outs), a
    serialization failure or deadlock: yes.  A violated constraint, a programming
    error: no.
    """
    if isinstance(exc, (sa.TimeoutError, sa.DisconnectionError)):  # pool exhausted, dropped
        return True
    if isinstance(exc, sa.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc, sa.OperationalError):  # connection refused/lost, locked, I/O
            return True
        state = getattr(exc.orig, "sqlstate", None) or ""
        return any(state.startswith(prefix) for prefix in _RETRY_SQLSTATES)
    return False


def discard(session: Session) -> None:
    """Roll ``session`` back and close it, whatever state its connection is in (a dead
    connection is invalidated, and the pool replaces it)."""
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone
        try:
            session.invalidate()
        except Exception:  # noqa: BLE001 - the pool replaces it
            pass
    try:
        session.close()
    except Exception:  # noqa: BLE001
        pass
