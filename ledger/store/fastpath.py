"""The casting hot path's storage: plain DB-API statements and a per-transaction memo.

Building and running an ORM statement costs far more CPU than the indexed
lookup it performs (``bench/cast.py`` showed ~20 statements and ~25 ms of CPU
per ballot), so the statements every ballot runs are written here once, in
SQL both SQLite and PostgreSQL accept, and executed on the session's own
DB-API connection — inside the session's transaction, after flushing whatever
the ORM has pending, so they see and are seen by ORM work in the same
transaction.

:class:`Memo` lives in ``session.info`` for one transaction (it is dropped when
any transaction of the session ends): the log heads this transaction has
locked, the tree nodes it read or wrote, the entries it appended and the
checkpoints it signed, and what a batch of ballots read at once
(:mod:`ledger.store.prefetch`).  Everything in it was read or written under the
transaction's own writer lock, so it is exactly what the database holds for
this transaction; nothing outlives a commit or a rollback.

Deferred writes: a batch's appends (:func:`Raw.defer`) are not sent one by one
but ride along with the next statement of the transaction, in one pipeline on
PostgreSQL (one round trip for the whole batch's rows).  Nothing can read
around them: :class:`Raw` sends them before any statement of its own, and the
session sends them before any ORM statement, ORM flush or commit (the event
listeners below, registered on a session factory by :func:`install`).  A rollback
drops them with the rest of the transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

Node = tuple[int, int]
_MEMO = "ledger.hot"


@dataclass
class Memo:
    locked: dict[int, Any] = field(default_factory=dict)  # assembly -> LogHead (locked)
    nodes: dict[int, dict[Node, bytes]] = field(default_factory=dict)
    appended: dict[tuple[int, int], bytes] = field(default_factory=dict)  # (a, index) -> hash
    checkpoints: dict[int, Any] = field(default_factory=dict)  # a -> Checkpoint signed here
    published: dict[int, Any] = field(default_factory=dict)
    # ledger.store.prefetch: read for a batch under the lock, kept current by its appends
    entry0: dict[int, bytes] = field(default_factory=dict)  # a -> entry 0's hash
    newest: dict[int, Any] = field(default_factory=dict)  # a -> newest checkpoint (or None)
    keys: dict[tuple[int, str], Any] = field(default_factory=dict)  # (a, key id) -> KeyRow
    head_rows: dict[tuple[int, str], list[tuple]] = field(default_factory=dict)
    defer_writes: bool = False  # appends go out with the next statement (Raw.defer)
    raw: Raw | None = None

    def forget_prefetched(self, assembly_id: int) -> None:
        """An entry other than a ballot changes what the rules read: read it again."""
        for table in (self.keys, self.head_rows):
            for k in [k for k in table if k[0] == assembly_id]:
                del table[k]


def memo(session: Session) -> Memo:
    m = session.info.get(_MEMO)
    if m is None:
        m = session.info[_MEMO] = Memo()
    return m


def send_deferred(session: Session) -> None:
    """Send the transaction's deferred writes now (before anything else reads or commits)."""
    m = session.info.get(_MEMO)
    if m is not None and m.raw is not None and m.raw.pending:
        m.raw.send_pending()


def _before_commit(session: Session) -> None:
    send_deferred(session)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    send_deferred(session)


def _before_orm_statement(state: Any) -> None:
    send_deferred(state.session)


def _forget(session: Session, transaction: Any) -> None:
    # the outermost transaction or a savepoint ended (not a flush's subtransaction)
    if transaction.parent is None or transaction.nested:
        session.info.pop(_MEMO, None)


#: The session events this module listens to, and its listener for each.
SESSION_LISTENERS: tuple[tuple[str, Any], ...] = (
    ("before_commit", _before_commit),
    ("before_flush", _before_flush),
    ("do_orm_execute", _before_orm_statement),
    ("after_transaction_end", _forget),
)


def install(sessions: sessionmaker) -> None:
    """Listen to the sessions ``sessions`` makes: deferred writes go out before any ORM
    statement, flush or commit, and the memo is dropped when a transaction ends.

    Called once per factory by :func:`ownervote.db.make_session_factory` (the one place
    that registers storage listeners); importing this module registers nothing.  (Not
    made idempotent with ``event.contains``: SQLAlchemy's registry is keyed by ``id()``,
    and a new factory's session class may have the id of one already collected.)
    """
    for name, listener in SESSION_LISTENERS:
        event.listen(sessions, name, listener)


# -- statements -------------------------------------------------------------------------------

SQL = {
    "head": 'SELECT origin, size, root, last_entry_hash, log_vkey, opens_at_ms, closes_at_ms, '
            'closed, last_time_ms, peaks FROM log_head WHERE assembly_id = ?',
    "status_with_log": "SELECT a.status FROM assembly a JOIN log_head h ON h.assembly_id = a.id "
                       "WHERE a.id = ?",
    "entry0": 'SELECT entry_hash FROM ledger_entry WHERE assembly_id = ? AND "index" = 0',
    "spki": "SELECT spki FROM ledger_key WHERE assembly_id = ? AND key_id = ? AND kind = 'voter'",
    "key": "SELECT kind, head_id, role, agent, voter, revoked_index FROM ledger_key "
           "WHERE assembly_id = ? AND key_id = ?",
    "head_entries": 'SELECT "index", kind, seq, voided_by, body FROM ledger_entry '
                    "WHERE assembly_id = ? AND head_id = ? "
                    "AND kind IN ('ballot', 'paper_ballot', 'representative.set', "
                    "'unit.transferred')",
    "agent_heads": "SELECT head_id FROM ledger_entry WHERE assembly_id = ? AND agent = ? "
                   "AND kind IN ('ballot', 'paper_ballot') AND voided_by IS NULL",
    "insert_entry": 'INSERT INTO ledger_entry (assembly_id, "index", kind, body, entry_hash, '
                    "head_id, agent, seq, voided_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
    "insert_node": 'INSERT INTO tree_node (assembly_id, level, "index", hash) VALUES (?, ?, ?, ?)',
    "update_head": "UPDATE log_head SET size = ?, root = ?, last_entry_hash = ?, "
                   "last_time_ms = ?, peaks = ? WHERE assembly_id = ?",
    "latest_checkpoint": "SELECT id, size, root, note, created_at FROM checkpoint "
                         "WHERE assembly_id = ? ORDER BY size DESC LIMIT 1",
    "insert_checkpoint": "INSERT INTO checkpoint (assembly_id, size, root, note, created_at) "
                         "VALUES (?, ?, ?, ?, ?) RETURNING id",
}
_PG = {k: v.replace("?", "%s") for k, v in SQL.items()}
# PostgreSQL: many rows in one statement, a column per array parameter (executemany would
# send, and psycopg build in Python, one statement per row)
_PG_ROWS = {
    "insert_entry": 'INSERT INTO ledger_entry (assembly_id, "index", kind, body, entry_hash, '
                    "head_id, agent, seq, voided_by, created_at) "
                    "SELECT a, i, k, b, h, hd, ag, s, NULL, c FROM unnest(%s::int4[], "
                    "%s::int4[], %s::text[], %s::bytea[], %s::bytea[], %s::text[], %s::text[], "
                    "%s::int4[], %s::timestamptz[]) AS t(a, i, k, b, h, hd, ag, s, c)",
    "insert_node": 'INSERT INTO tree_node (assembly_id, level, "index", hash) '
                   "SELECT * FROM unnest(%s::int4[], %s::int4[], %s::int4[], %s::bytea[])",
}
_BIND: dict[tuple[int, str], Any] = {}


class Raw:
    """The session's DB-API cursor (after an ORM flush) and the dialect's SQL.

    Driver errors come out as SQLAlchemy's (``OperationalError`` …), as from any other
    statement, and a connection the driver found dead is invalidated, so the pool
    replaces it and the web layer answers "retry" (:mod:`web.resilience`).
    """

    __slots__ = ("conn", "cur", "sql", "dialect", "pg", "pending")

    def __init__(self, session: Session) -> None:
        self.conn = session.connection()
        self.dialect = self.conn.dialect
        self.pg = self.dialect.name == "postgresql"
        self.sql = _PG if self.pg else SQL
        self.cur = self.conn.connection.driver_connection.cursor()
        # deferred writes, in order: (statement, replace key) -> rows, or one row to replace
        self.pending: dict[tuple[str, Any], Any] = {}

    def defer(self, name: str, params: Any, *, replace: Any = None) -> None:
        """Write later, with the transaction's next statement (see the module docstring).

        ``params``: a list of rows, added to the rows of the same statement deferred
        before; or, with ``replace``, one row that replaces the row deferred before with
        the same key (an UPDATE whose last values are all that matter)."""
        if replace is None:
            self.pending.setdefault((name, None), []).extend(params)
        else:
            self.pending[(name, replace)] = params

    def send_pending(self) -> None:
        with self.pipelined():
            self._send_pending()

    def _send_pending(self) -> None:
        pending, self.pending = self.pending, {}
        for (name, one), params in pending.items():
            if one is not None:
                self._exec(self.sql[name], params)
            elif self.pg and name in _PG_ROWS and len(params) > 1:
                self._exec(_PG_ROWS[name], [list(column) for column in zip(*params, strict=True)])
            else:
                self._exec(self.sql[name], params, many=True)

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

    def _raise(self, exc: Exception, sql: str, params: Any) -> NoReturn:
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
        driver = self.conn.connection.driver_connection
        if not self.pg or driver.pgconn.pipeline_status:  # SQLite, or a pipeline already
            yield
            return
        try:
            with driver.pipeline():
                yield
        except self.dialect.loaded_dbapi.Error as exc:
            self._raise(exc, "(pipeline)", ())

    def one(self, name: str, params: tuple, suffix: str = "") -> tuple | None:
        self._exec(self.sql[name] + suffix, params)
        return self.cur.fetchone()

    def all(self, name: str, params: tuple) -> list[tuple]:
        self._exec(self.sql[name], params)
        return self.cur.fetchall()

    def run(self, name: str, params: tuple) -> None:
        self._exec(self.sql[name], params)

    def many(self, name: str, rows: list[tuple]) -> None:
        self._exec(self.sql[name], rows, many=True)

    def reads(self, statements: list[tuple[str, tuple]]) -> list[list[tuple]]:
        """Several reads' rows, in one round trip on PostgreSQL (a cursor each, pipelined;
        the server runs them in order).  ``statements``: (SQL with ``?``, params)."""
        if not self.pg:
            out = []
            for sql, params in statements:
                self._exec(sql, params)
                out.append(self.cur.fetchall())
            return out
        driver = self.conn.connection.driver_connection
        cursors = [self.cur, *(driver.cursor() for _ in statements[1:])]
        try:
            with self.pipelined():
                if self.pending:
                    self._send_pending()
                for cur, (sql, params) in zip(cursors, statements, strict=True):
                    cur.execute(sql.replace("?", "%s"), params)
                return [cur.fetchall() for cur in cursors]
        except self.dialect.loaded_dbapi.Error as exc:
            self._raise(exc, "(batched reads)", ())
        finally:
            for cur in cursors[1:]:
                cur.close()

    def nodes(self, assembly_id: int, wanted: list[Node]) -> dict[Node, bytes]:
        # one primary-key lookup per node (for a row-value IN list or a long OR, SQLite
        # scans every node of the log)
        ph = "%s" if self.pg else "?"
        part = f'SELECT level, "index", hash FROM tree_node WHERE assembly_id = {ph} ' \
               f'AND level = {ph} AND "index" = {ph}'
        self._exec(" UNION ALL ".join([part] * len(wanted)),
                   tuple(x for lv, ix in wanted for x in (assembly_id, lv, ix)))
        return {(lv, ix): bytes(h) for lv, ix, h in self.cur.fetchall()}

    def datetime(self, column: Any, value: Any) -> dt.datetime:
        """A column value read raw, as the ORM would return it."""
        proc = column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)
        return proc(value) if proc else value

    def timestamp(self, column: Any, value: dt.datetime) -> Any:
        """``value`` as the column's type binds it on this dialect (exact ORM equivalence)."""
        key = (id(column), self.dialect.name)
        proc = _BIND.get(key, False)
        if proc is False:
            proc = _BIND[key] = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return proc(value) if proc else value


def raw(session: Session) -> Raw:
    """The transaction's :class:`Raw`, after flushing what the ORM has pending (so the
    statements see it)."""
    session.flush()
    m = memo(session)
    if m.raw is None:
        m.raw = Raw(session)
    return m.raw


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
