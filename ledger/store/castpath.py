"""The casting path: what an append does to the database, without the ORM, in one place.

A vote is thousands of ballots, each appended under its log's writer lock while
every other writer of the log waits.  Building and running an ORM statement
costs far more CPU than the indexed lookup it performs (``bench/cast.py``
showed ~20 statements and ~25 ms of CPU per ballot through the ORM), so what
runs under the lock is here, once — for ballots, and for every other append,
which goes through the same :func:`ledger.store.logstore.append`:

**The statements** (:data:`SQL`): plain SQL that SQLite and PostgreSQL both
accept, run on the session's own DB-API connection inside its transaction
(:class:`Raw`), after the ORM has flushed what it has pending, so they see and
are seen by ORM work in the same transaction.  The entry kinds and key kinds
they filter on are bound parameters taken from :mod:`ledger.entries` and
:mod:`ledger.store.models` (no kind is spelled in SQL).  Each statement is run
by one public function below (``read_…``, ``insert_checkpoint``,
:func:`write_append`); other modules call those, never :class:`Raw`.

**The per-transaction memo** (:class:`Memo`, in ``session.info``): the log heads
this transaction has locked, the tree nodes it read or wrote, the entries it
appended and the checkpoints it signed, and what a batch of ballots read at
once (:func:`read_batch`).  Everything in it was read or written under the
transaction's own writer lock, so it is exactly what the database holds for
this transaction; it is dropped when any transaction of the session ends
(commit, rollback, savepoint), so nothing outlives it.

**Deferred writes**: a batch's appends (:func:`defer_writes`) are not sent one by
one but ride along with the next statement of the transaction, in one pipeline
on PostgreSQL (one round trip for the whole batch's rows).  Nothing can read
around them: :class:`Raw` sends them before any statement of its own, and the
session sends them before any ORM statement, ORM flush or commit (the event
listeners below).  A rollback drops them with the rest of the transaction.

**The process caches** (:class:`BoundedCache`, emptied when full): what never
changes once written, each keyed so that a hit cannot be stale —

* :data:`PARSED_ENTRIES` — (assembly, index) -> (entry bytes, parsed entry); a hit
  counts only if the bytes read now are the very bytes parsed
  (:func:`ledger.store.headstate.parsed`);
* :data:`PUBLISHED` — (assembly, entry 0's hash) -> its definition and frozen
  roster; entry 0 commits to both (:func:`ledger.store.publish.published`);
* :data:`DEVICE_KEYS` — key id -> loaded P-256 public key; a key id is the SHA-256
  of the key's SPKI, so the entry is right for every log (whether the key is
  enrolled and not revoked in *this* log is read under the lock for every
  ballot) (:mod:`ledger.store.writer`);
* :data:`VERIFIED_SIGNATURES` — digests of (key id, message, signature) already
  verified (:mod:`ledger.store.writer`);
* :data:`VISIBLE_LOGS` — per engine, the assemblies known to have a log in an
  owners' status: a log once published stays, and the lifecycle only moves
  forward (:func:`ledger.store.sequencer.visible_log`);
* the column types' bind processors (:func:`insert_checkpoint`, :func:`write_append`).

:func:`reset` empties them all.  A running server never needs it: nothing a
cache holds can change or be taken back.  Tests call it (a fixture) so that
each starts from a cold process, whatever ran before.  Not caches, and not
here: the process's :class:`~ledger.store.sequencer.Sequencer` per engine (its
queue and sessions are live work) and the SQLite writers' gates per database
file (:mod:`ledger.store.sqlitegate`: locks).

The path, module by module: :mod:`ledger.store.sequencer` batches a process's
ballots per log; :func:`ledger.store.logstore.lock_head_for_batch` takes the lock
and reads the batch's keys and heads (:func:`read_batch`);
:mod:`ledger.store.writer` checks each ballot (device key, signature, casting
rules), reading a head through :mod:`ledger.store.headstate` and the published
assembly through :mod:`ledger.store.publish`; :func:`ledger.store.logstore.append`
appends (:func:`write_append`); :mod:`ledger.store.checkpoints` signs one
checkpoint and :mod:`ledger.store.receipts` builds the receipts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ledger.entries import BALLOT, PAPER_BALLOT, REPRESENTATIVE_SET, UNIT_TRANSFERRED, Entry
from ledger.errors import LogStateError
from ledger.store.models import VOTER_KEY, LedgerEntry
from ledger.store.models import Checkpoint as CheckpointRow

Node = tuple[int, int]
#: (index, kind, seq, voided_by, body) of an entry the casting rules read about a head
HeadEntryRow = tuple[int, str, int | None, int | None, bytes]

#: The entries the casting rules read about a head (:mod:`ledger.store.headstate`).
HEAD_KINDS = (BALLOT, PAPER_BALLOT, REPRESENTATIVE_SET, UNIT_TRANSFERRED)
#: The entries that are ballots.
BALLOT_KINDS = (BALLOT, PAPER_BALLOT)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A row of ``ledger_key`` as the casting rules read it."""

    kind: str
    head_id: str | None
    role: str
    agent: str | None
    voter: str | None
    revoked_index: int | None


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A row of ``checkpoint`` as the casting path reads and writes it (no ORM object)."""

    id: int
    assembly_id: int
    size: int
    root: bytes
    note: str
    created_at: dt.datetime


# -- the per-transaction memo ---------------------------------------------------------------

_MEMO = "ledger.castpath"


@dataclass
class Memo:
    """What one transaction locked, read and wrote on the casting path (module docstring)."""

    locked: dict[int, Any] = field(default_factory=dict)  # assembly -> LogHead (locked)
    nodes: dict[int, dict[Node, bytes]] = field(default_factory=dict)
    appended: dict[tuple[int, int], bytes] = field(default_factory=dict)  # (a, index) -> hash
    checkpoints: dict[int, StoredCheckpoint] = field(default_factory=dict)  # signed here
    published: dict[int, Any] = field(default_factory=dict)  # a -> (AssemblyDef, Roster)
    # read_batch: read for a batch under the lock, kept current by its appends
    entry0: dict[int, bytes] = field(default_factory=dict)  # a -> entry 0's hash
    newest: dict[int, StoredCheckpoint | None] = field(default_factory=dict)
    keys: dict[tuple[int, str], KeyRow | None] = field(default_factory=dict)
    head_rows: dict[tuple[int, str], list[HeadEntryRow]] = field(default_factory=dict)
    defer_writes: bool = False  # appends go out with the next statement (Raw.defer)
    raw: Raw | None = None

    def forget_prefetched(self, assembly_id: int) -> None:
        """An entry other than a ballot changes what the rules read: read it again."""
        for table in (self.keys, self.head_rows):
            for k in [k for k in table if k[0] == assembly_id]:
                del table[k]


def memo(session: Session) -> Memo:
    """The transaction's memo (a new one in each transaction)."""
    m = session.info.get(_MEMO)
    if m is None:
        m = session.info[_MEMO] = Memo()
    return m


def defer_writes(session: Session) -> None:
    """From now on in this transaction, appends go out with its next statement."""
    memo(session).defer_writes = True


def send_deferred(session: Session) -> None:
    """Send the transaction's deferred writes now (before anything else reads or commits)."""
    m = session.info.get(_MEMO)
    if m is not None and m.raw is not None and m.raw.pending:
        m.raw.send_pending()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    send_deferred(session)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    send_deferred(session)


@event.listens_for(Session, "do_orm_execute")
def _before_orm_statement(state: Any) -> None:
    send_deferred(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    # the outermost transaction or a savepoint ended (not a flush's subtransaction)
    if transaction.parent is None or transaction.nested:
        session.info.pop(_MEMO, None)


# -- the process caches ---------------------------------------------------------------------

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V], Generic[K, V]):
    """A process-wide dict that empties itself when full (read it as a dict: C speed)."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__()
        self.name, self.limit = name, limit

    def put(self, key: K, value: V) -> V:
        if len(self) >= self.limit and key not in self:
            self.clear()
        self[key] = value
        return value

    def __repr__(self) -> str:
        return f"<BoundedCache {self.name}: {len(self)} of {self.limit}>"


PARSED_ENTRIES: BoundedCache[tuple[int, int], tuple[bytes, Entry]] = BoundedCache(
    "parsed entries", 100_000)
PUBLISHED: BoundedCache[tuple[int, bytes], Any] = BoundedCache("published assemblies", 256)
DEVICE_KEYS: BoundedCache[str, Any] = BoundedCache("device keys", 200_000)
VERIFIED_SIGNATURES: BoundedCache[bytes, None] = BoundedCache("verified signatures", 100_000)
VISIBLE_LOGS: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()
_BIND: BoundedCache[tuple[int, str], Any] = BoundedCache("bind processors", 1_000)

CACHES: tuple[BoundedCache[Any, Any], ...] = (
    PARSED_ENTRIES, PUBLISHED, DEVICE_KEYS, VERIFIED_SIGNATURES, _BIND)


def cache_sizes() -> dict[str, int]:
    """How many entries each process cache holds now (by name)."""
    sizes = {cache.name: len(cache) for cache in CACHES}
    sizes["visible logs"] = sum(len(known) for known in list(VISIBLE_LOGS.values()))
    return sizes


def reset() -> None:
    """Empty every process cache of the casting path (tests; a server never needs it)."""
    for cache in CACHES:
        cache.clear()
    VISIBLE_LOGS.clear()


# -- the statements -------------------------------------------------------------------------


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" * len(values))


SQL = {
    "head": 'SELECT origin, size, root, last_entry_hash, log_vkey, opens_at_ms, closes_at_ms, '
            'closed, last_time_ms, peaks FROM log_head WHERE assembly_id = ?',
    "status_with_log": "SELECT a.status FROM assembly a JOIN log_head h ON h.assembly_id = a.id "
                       "WHERE a.id = ?",
    "entry0": 'SELECT entry_hash FROM ledger_entry WHERE assembly_id = ? AND "index" = 0',
    "spki": "SELECT spki FROM ledger_key WHERE assembly_id = ? AND key_id = ? AND kind = ?",
    "key": "SELECT kind, head_id, role, agent, voter, revoked_index FROM ledger_key "
           "WHERE assembly_id = ? AND key_id = ?",
    "head_entries": 'SELECT "index", kind, seq, voided_by, body FROM ledger_entry '
                    "WHERE assembly_id = ? AND head_id = ? "
                    f"AND kind IN ({_marks(HEAD_KINDS)})",
    "agent_heads": "SELECT head_id FROM ledger_entry WHERE assembly_id = ? AND agent = ? "
                   f"AND kind IN ({_marks(BALLOT_KINDS)}) AND voided_by IS NULL",
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
#: Statements over a list of values: ``{in}`` becomes ``IN (?, …)``, or ``= ANY(?)`` with
#: one array parameter on PostgreSQL (one statement text whatever the list's length, so the
#: server's prepared statement is reused).
SQL_IN = {
    "keys": "SELECT key_id, kind, head_id, role, agent, voter, revoked_index FROM ledger_key "
            "WHERE assembly_id = ? AND key_id {in}",
    "heads_entries": 'SELECT head_id, "index", kind, seq, voided_by, body FROM ledger_entry '
                     "WHERE assembly_id = ? AND head_id {in} "
                     f"AND kind IN ({_marks(HEAD_KINDS)})",
    "spkis": "SELECT key_id, spki FROM ledger_key WHERE assembly_id = ? AND kind = ? "
             "AND key_id {in}",
    # one primary-key lookup per node, UNION ALL'd (for a row-value IN list or a long OR,
    # SQLite scans every node of the log): not a list parameter, see Raw.nodes
    "node": 'SELECT level, "index", hash FROM tree_node WHERE assembly_id = ? '
            'AND level = ? AND "index" = ?',
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

    def one(self, name: str, params: tuple[Any, ...], suffix: str = "") -> tuple[Any, ...] | None:
        self._exec(self.sql[name] + suffix, params)
        row: tuple[Any, ...] | None = self.cur.fetchone()
        return row

    def all(self, name: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        self._exec(self.sql[name], params)
        rows: list[tuple[Any, ...]] = self.cur.fetchall()
        return rows

    def run(self, name: str, params: tuple[Any, ...]) -> None:
        self._exec(self.sql[name], params)

    def many(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        self._exec(self.sql[name], rows, many=True)

    def over(self, name: str, values: list[str]) -> tuple[str, tuple[Any, ...]]:
        """``SQL_IN[name]`` over ``values`` (with ``?``) and the values as its parameters."""
        if self.pg:
            return SQL_IN[name].replace("{in}", "= ANY(?)"), (values,)
        return SQL_IN[name].replace("{in}", f"IN ({', '.join('?' * len(values))})"), tuple(values)

    def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The rows of a statement built here (with ``?``, as :meth:`over` gives it)."""
        self._exec(sql.replace("?", "%s") if self.pg else sql, params)
        rows: list[tuple[Any, ...]] = self.cur.fetchall()
        return rows

    def reads(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[list[tuple[Any, ...]]]:
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
        part = SQL_IN["node"].replace("?", "%s") if self.pg else SQL_IN["node"]
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
            proc = _BIND.put(key, column.type.dialect_impl(self.dialect).bind_processor(
                self.dialect))
        return proc(value) if proc else value


def _raw(session: Session) -> Raw:
    """The transaction's :class:`Raw`, after flushing what the ORM has pending (so the
    statements see it)."""
    session.flush()
    m = memo(session)
    if m.raw is None:
        m.raw = Raw(session)
    return m.raw


# -- what the casting path reads and writes -------------------------------------------------


def lock_clause(session: Session) -> str:
    """What turns the ``head`` read into taking the log's lock (PostgreSQL: a row lock;
    SQLite: nothing — the ``BEGIN IMMEDIATE`` transaction holds the database's, checked)."""
    if session.get_bind().dialect.name != "sqlite":
        return " FOR UPDATE"
    if session.connection().get_execution_options().get("sqlite_begin") != "IMMEDIATE":
        raise LogStateError(
            "on SQLite an append needs a BEGIN IMMEDIATE transaction: "
            "call ledger.store.logstore.begin_write(session) first"
        )
    return ""


def read_locked_head(session: Session, assembly_id: int) -> tuple[Any, ...] | None:
    """Take the log's lock and read its ``log_head`` row (None: the assembly has no log)."""
    return _raw(session).one("head", (assembly_id,), lock_clause(session))


def read_batch(session: Session, assembly_id: int, heads: Iterable[str], kids: Iterable[str]
               ) -> tuple[Any, ...] | None:
    """Take the log's lock and read what checking ballots of ``heads`` signed with the
    device keys ``kids`` needs, into the memo; returns the ``log_head`` row, as
    :func:`read_locked_head`.  Call first in the writer transaction.

    Checking a ballot under the lock reads its device key's row and its head's entries,
    and the batch's checkpoint reads entry 0 and the newest checkpoint: two statements
    per ballot, each a round trip to PostgreSQL made while every other writer of the
    log waits.  Here all of it is read for the whole batch in one pipeline, lock first:
    PostgreSQL runs a pipeline's statements in order, so the reads start once
    ``SELECT … FOR UPDATE`` holds the lock and see the log as its holder does (each
    statement of a READ COMMITTED transaction takes its snapshot when it starts).  On
    SQLite (the ``BEGIN IMMEDIATE`` transaction holding the lock already) the same
    statements simply run in turn.  :func:`read_key`, :func:`read_head_entries`,
    :func:`read_entry0_hash` and :func:`read_newest_checkpoint` then find it in the
    memo; the batch's own appends keep it current (:func:`write_append`) and an entry
    of any other kind makes them read afresh.
    """
    m = memo(session)
    heads, kids = sorted(set(heads)), sorted(set(kids))
    raw = _raw(session)
    statements = [(SQL["head"] + lock_clause(session), (assembly_id,)),
                  (SQL["entry0"], (assembly_id,)),
                  (SQL["latest_checkpoint"], (assembly_id,))]
    if kids:
        sql, params = raw.over("keys", kids)
        statements.append((sql, (assembly_id, *params)))
    if heads:
        sql, params = raw.over("heads_entries", heads)
        statements.append((sql, (assembly_id, *params, *HEAD_KINDS)))
    found = raw.reads(statements)
    if found[1]:
        m.entry0[assembly_id] = bytes(found[1][0][0])
    m.newest[assembly_id] = _stored_checkpoint(raw, assembly_id,
                                               found[2][0] if found[2] else None)
    rest = iter(found[3:])
    if kids:
        rows = {r[0]: KeyRow(*r[1:]) for r in next(rest)}
        for kid in kids:
            m.keys[(assembly_id, kid)] = rows.get(kid)
    if heads:
        by_head: dict[str, list[HeadEntryRow]] = {h: [] for h in heads}
        for head_id, *row in next(rest):
            by_head[head_id].append(tuple(row))
        for head_id, rows_of in by_head.items():
            m.head_rows[(assembly_id, head_id)] = rows_of
    return found[0][0] if found[0] else None


def read_key(session: Session, assembly_id: int, kid: str) -> KeyRow | None:
    """The device key's row in the log (None: not enrolled), read with the lock."""
    m = memo(session)
    if (assembly_id, kid) in m.keys:  # read for the batch
        return m.keys[(assembly_id, kid)]
    row = _raw(session).one("key", (assembly_id, kid))
    return None if row is None else KeyRow(*row)


def read_head_entries(session: Session, assembly_id: int, head_id: str) -> list[HeadEntryRow]:
    """The head's entries of the :data:`HEAD_KINDS`, unsorted (with ORDER BY, SQLite walks
    the log's whole (assembly, index) index)."""
    rows = memo(session).head_rows.get((assembly_id, head_id))  # read for the batch
    if rows is None:
        rows = _raw(session).all("head_entries", (assembly_id, head_id, *HEAD_KINDS))
    return rows


def read_agent_heads(session: Session, assembly_id: int, agent: str) -> set[str]:
    """The heads a proxy agent has cast a ballot for that still stands."""
    return {h for (h,) in _raw(session).all("agent_heads", (assembly_id, agent, *BALLOT_KINDS))}


def read_spki(session: Session, assembly_id: int, kid: str) -> bytes | None:
    """The SPKI of voter key ``kid`` enrolled in the log (None: no such voter key)."""
    row = _raw(session).one("spki", (assembly_id, kid, VOTER_KEY))
    return None if row is None else bytes(row[0])


def read_spkis(session: Session, assembly_id: int, kids: list[str]) -> list[tuple[str, bytes]]:
    """(key id, SPKI) of the voter keys ``kids`` enrolled in the log, in one read."""
    raw = _raw(session)
    sql, params = raw.over("spkis", kids)
    return [(kid, bytes(spki)) for kid, spki in raw.rows(sql, (assembly_id, VOTER_KEY, *params))]


def read_entry0_hash(session: Session, assembly_id: int) -> bytes | None:
    """Entry 0's hash (None: the assembly has no log)."""
    first = memo(session).entry0.get(assembly_id)  # read with the lock for the batch
    if first is not None:
        return first
    row = _raw(session).one("entry0", (assembly_id,))
    return None if row is None else bytes(row[0])


def read_status_with_log(session: Session, assembly_id: int) -> str | None:
    """The assembly's status, if it has a log (None: no log, or no assembly)."""
    row = _raw(session).one("status_with_log", (assembly_id,))
    return None if row is None else str(row[0])


def read_nodes(session: Session, assembly_id: int, wanted: list[Node]) -> dict[Node, bytes]:
    """The stored tree nodes among ``wanted`` (one primary-key lookup each, one statement)."""
    return _raw(session).nodes(assembly_id, wanted)


def read_newest_checkpoint(session: Session, assembly_id: int) -> StoredCheckpoint | None:
    """The log's newest checkpoint, read under the writer lock (one indexed read)."""
    m = memo(session)
    row = m.checkpoints.get(assembly_id)
    if row is not None:
        return row
    if assembly_id in m.newest:  # read with the lock for the batch
        return m.newest[assembly_id]
    raw = _raw(session)
    return _stored_checkpoint(raw, assembly_id, raw.one("latest_checkpoint", (assembly_id,)))


def _stored_checkpoint(raw: Raw, assembly_id: int, found: tuple[Any, ...] | None
                       ) -> StoredCheckpoint | None:
    if found is None:
        return None
    cid, size, root, note, created = found
    return StoredCheckpoint(cid, assembly_id, size, bytes(root), note,
                            raw.datetime(CheckpointRow.__table__.c.created_at, created))


def insert_checkpoint(session: Session, assembly_id: int, size: int, root: bytes, note: str,
                      created_at: dt.datetime) -> StoredCheckpoint:
    """Store a checkpoint signed under the writer lock; it is the log's newest."""
    raw = _raw(session)
    found = raw.one("insert_checkpoint", (
        assembly_id, size, root, note,
        raw.timestamp(CheckpointRow.__table__.c.created_at, created_at)))
    assert found is not None  # RETURNING id
    row = StoredCheckpoint(found[0], assembly_id, size, root, note, created_at)
    memo(session).checkpoints[assembly_id] = row
    return row


def write_append(session: Session, assembly_id: int, *, index: int, kind: str, data: bytes,
                 leaf: bytes, time_ms: int, created_at: dt.datetime, head_id: str | None,
                 agent: str | None, seq: int | None, new_nodes: Mapping[Node, bytes],
                 root: bytes, peaks: bytes) -> None:
    """Write one appended entry, the tree nodes it completed and the log's new head row,
    and record them in the memo (deferred in a batch: :func:`defer_writes`)."""
    raw = _raw(session)
    m = memo(session)
    created = raw.timestamp(LedgerEntry.__table__.c.created_at, created_at)
    entry_row = (assembly_id, index, kind, data, leaf, head_id, agent, seq, created)
    node_rows = [(assembly_id, lv, ix, h) for (lv, ix), h in new_nodes.items()]
    head_row = (index + 1, root, leaf, time_ms, peaks, assembly_id)
    if m.defer_writes:  # a batch: every row goes out with the next statement
        raw.defer("insert_entry", [entry_row])
        raw.defer("insert_node", node_rows)
        raw.defer("update_head", head_row, replace=assembly_id)
    else:
        with raw.pipelined():  # three writes, one round trip on PostgreSQL
            raw.run("insert_entry", entry_row)
            raw.many("insert_node", node_rows)
            raw.run("update_head", head_row)
    m.nodes.setdefault(assembly_id, {}).update(new_nodes)
    m.appended[(assembly_id, index)] = leaf
    ballot = kind in BALLOT_KINDS
    rows = m.head_rows.get((assembly_id, head_id)) if ballot and head_id is not None else None
    if rows is not None:  # what a later ballot of the batch must see of this head
        rows.append((index, kind, seq, None, data))
    elif not ballot:
        m.forget_prefetched(assembly_id)


# -- the ORM's view of what was read and written raw -------------------------------------------


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
