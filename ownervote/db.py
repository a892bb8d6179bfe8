"""Storage kernel: the declarative base, exact column types and engine set-up.

:func:`make_engine` and :func:`make_session_factory` register every SQLAlchemy event
listener the storage layer needs, explicitly and on the engine or factory they make;
no module registers a listener when it is imported.

Every table of ``voting``, ``identity`` and ``ledger`` derives from :class:`Base`
so that one Alembic history covers the whole schema.  The same models run on
SQLite (embedded default) and PostgreSQL (production).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, MetaData, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AreaType(TypeDecorator[Decimal]):
    """A square-metre area with at most two decimal places, stored exactly.

    Stored as an integer number of hundredths of a square metre, because
    SQLite has no exact decimal type and areas must never pass through float.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"area must be a Decimal, got {type(value).__name__}")
        hundredths = value * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"area {value} has more than two decimal places")
        return int(hundredths)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite drops the offset; we only ever store UTC
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # A receipt is handed out only after the ledger entry is durable.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN; take it over so that
    # ``BEGIN IMMEDIATE`` (single writer per log) is possible.
    dbapi_connection.isolation_level = None


def _begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def driver_connection(conn: Connection) -> Any:
    """The driver's own connection under ``conn`` (sqlite3's or psycopg's).

    SQLAlchemy types it optional: a pooled connection handed back to the pool has
    none.  A connection in use always has one.
    """
    driver = conn.connection.driver_connection
    if driver is None:
        raise sa_exc.ResourceClosedError("the connection was returned to the pool")
    return driver


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run by ``Session.execute`` matched (0 if unknown)."""
    # A DML statement without RETURNING gives a CursorResult; SQLAlchemy 2.1 types
    # Session.execute as returning Result for every statement.
    return cast("CursorResult[Any]", result).rowcount or 0


#: The SQLite engine events :func:`make_engine` listens to, and its listener for each.
SQLITE_ENGINE_LISTENERS: tuple[tuple[str, Any], ...] = (
    ("connect", _sqlite_pragmas),
    ("connect", _no_implicit_begin),
    ("begin", _begin),
)


def create_private_sqlite_file(url: str) -> None:
    """Create a missing SQLite database file with mode 0600, in a folder made 0700.

    SQLite would create it with the process's umask (usually 0644: every local user could
    read the ballots' log and the encrypted personal data); its ``-wal`` and ``-shm``
    files take the database file's mode.  An existing file is left as it is.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process made it first
        pass


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings ownervote relies on for each backend.

    This is the one place that registers the storage layer's engine listeners, on this
    engine only (nothing is registered when a module is imported): on SQLite the
    pragmas, ``BEGIN`` taken over from pysqlite (so that ``sqlite_begin="IMMEDIATE"``
    starts a writer) and the writers' gate (:func:`ledger.store.sqlitegate.install`).
    Sessions get theirs from :func:`make_session_factory`.
    """
    if url.startswith("sqlite"):
        from ledger.store import sqlitegate

        create_private_sqlite_file(url)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        for name, listener in SQLITE_ENGINE_LISTENERS:
            event.listen(engine, name, listener)
        sqlitegate.install(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker:
    """The session factory every session of ownervote comes from.

    The one place that registers the storage layer's session listeners, on this factory's
    sessions only: the casting path's deferred writes and per-transaction memo
    (:func:`ledger.store.castpath.install`) and the SQLite writers' gate
    (:func:`ledger.store.sqlitegate.install_sessions`).  A session made otherwise
    (``Session(engine)``) has none of them: do not append to a log through one.
    """
    from ledger.store import castpath, sqlitegate

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    castpath.install(factory)
    sqlitegate.install_sessions(factory)
    return factory
