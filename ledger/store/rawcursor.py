"""Plain statements inside a session's transaction: its DB-API cursor, pipelined, and the
ORM's view of what they read and wrote.

The mechanism under :mod:`ledger.store.castpath` (which holds the statements
themselves): a :class:`RawCursor` runs SQL text, in the dialect's own placeholder
style, on the session's connection, so it is inside the session's transaction and
sees what the ORM flushed.  On PostgreSQL it sends several statements in one round
trip (psycopg pipeline mode) and can hold writes back until the transaction's next
statement (:meth:`RawCursor.defer`).  :func:`adopt` and :func:`refresh` record rows
read or written this way as the ORM's committed state, so ORM code in the same
transaction sees them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ownervote.db import driver_connection

if TYPE_CHECKING:  # SQLAlchemy 2.1's typing of a driver's exceptions (not in 2.0 at run time)
    from sqlalchemy.engine.interfaces import DBAPIModule

Row = tuple[Any, ...]


class RawCursor:
    """The session's DB-API cursor (call after an ORM flush) and its dialect.

    Driver errors come out as SQLAlchemy's (``OperationalError`` …), as from any other
    statement, and a connection the driver found dead is invalidated, so the pool
    replaces it and the web layer answers "retry" (:mod:`web.resilience`).
    """

    __slots__ = ("conn", "cur", "dialect", "pg", "pending")

    def __init__(self, session: Session) -> None:
        self.conn = session.connection()
        self.dialect = self.conn.dialect
        self.pg = self.dialect.name == "postgresql"
        self.cur = driver_connection(self.conn).cursor()
        # deferred writes, in order: (statement, replace key) -> (rows, the statement that
        # writes them all at once on PostgreSQL), or one row to replace
        self.pending: dict[tuple[str, Any], Any] = {}

    @property
    def placeholder(self) -> str:
        return "%s" if self.pg else "?"

    def defer(self, sql: str, params: Any, *, replace: Any = None,
              multirow: str | None = None) -> None:
        """Write later, with the transaction's next statement (before any other).

        ``params``: a list of rows, added to the rows of the same statement deferred
        before (``multirow``: a statement writing them all at once on PostgreSQL, a
        column per array parameter); or, with ``replace``, one row that replaces the row
        deferred before with the same key (an UPDATE whose last values are all that
        matter)."""
        if replace is None:
            self.pending.setdefault((sql, None), ([], multirow))[0].extend(params)
        else:
            self.pending[(sql, replace)] = params

    def send_pending(self) -> None:
        with self.pipelined():
            self._send_pending()

    def _send_pending(self) -> None:
        pending, self.pending = self.pending, {}
        for (sql, one), params in pending.items():
            if one is not None:
                self._exec(sql, params)
                continue
            rows, multirow = params
            if self.pg and multirow is not None and len(rows) > 1:
                self._exec(multirow, [list(column) for column in zip(*rows, strict=True)])
            else:
                self._exec(sql, rows, many=True)

    def _exec(self, sql: str, params: Any, many: bool = False) -> None:
        if self.pending:  # the deferred writes go first, in the same round trip
            with self.pipelined():
                self._send_pending()
                self._exec(sql, params, many)
            return
        try:
            if many:
                self.cur.executemany(sql, params)
            else:
                self.cur.execute(sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            self._raise(exc, sql, params)

    def _raise(self, exc: DBAPIModule.Error, sql: str, params: Any) -> NoReturn:
        gone = self.dialect.is_disconnect(exc, self.conn.connection.dbapi_connection, self.cur)
        if gone:
            self.conn.invalidate(exc)
        raise sa_exc.DBAPIError.instance(
            sql, params, exc, self.dialect.loaded_dbapi.Error, hide_parameters=True,
            connection_invalidated=gone, dialect=self.dialect) from exc

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        """PostgreSQL: the statements inside go out together and are answered together
        (psycopg pipeline mode: one round trip instead of one each); SQLite: as usual."""
        driver = driver_connection(self.conn)
        if not self.pg or driver.pgconn.pipeline_status:  # SQLite, or a pipeline already
            yield
            return
        try:
            with driver.pipeline():
                yield
        except self.dialect.loaded_dbapi.Error as exc:
            self._raise(exc, "(pipeline)", ())

    def one(self, sql: str, params: Row) -> Row | None:
        self._exec(sql, params)
        row: Row | None = self.cur.fetchone()
        return row

    def all(self, sql: str, params: Row) -> list[Row]:
        self._exec(sql, params)
        rows: list[Row] = self.cur.fetchall()
        return rows

    def run(self, sql: str, params: Row) -> None:
        self._exec(sql, params)

    def many(self, sql: str, rows: list[Row]) -> None:
        self._exec(sql, rows, many=True)

    def reads(self, statements: list[tuple[str, Row]]) -> list[list[Row]]:
        """Several reads' rows, in one round trip on PostgreSQL (a cursor each, pipelined;
        the server runs them in order)."""
        if not self.pg:
            out = []
            for sql, params in statements:
                self._exec(sql, params)
                out.append(self.cur.fetchall())
            return out
        driver = driver_connection(self.conn)
        cursors = [self.cur, *(driver.cursor() for _ in statements[1:])]
        try:
            with self.pipelined():
                if self.pending:
                    self._send_pending()
                for cur, (sql, params) in zip(cursors, statements, strict=True):
                    cur.execute(sql, params)
                return [cur.fetchall() for cur in cursors]
        except self.dialect.loaded_dbapi.Error as exc:
            self._raise(exc, "(batched reads)", ())
        finally:
            for cur in cursors[1:]:
                cur.close()


def adopt(session: Session, model: type, pk: Any, values: dict[str, Any]) -> Any:
    """The session's instance of ``model`` with primary key ``pk``, holding ``values`` as
    its committed (clean) state: refreshed in place if the identity map has it, else a
    new persistent instance — what a query with ``populate_existing`` would give."""
    obj = session.identity_map.get(identity_key(model, pk))
    if obj is None:
        obj = model(**values)
        make_transient_to_detached(obj)
        session.add(obj)
    else:
        for name, value in values.items():
            set_committed_value(obj, name, value)
    return obj


def refresh(obj: Any, **values: Any) -> None:
    """Record values a raw UPDATE just wrote as the instance's committed state."""
    for name, value in values.items():
        set_committed_value(obj, name, value)
