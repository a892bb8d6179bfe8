"""The casting path's statements: each one SQL text per backend and one function.

Plain DB-API statements on the session's own connection (:mod:`ledger.store.rawcursor`):
building and running an ORM statement costs far more CPU than the indexed lookup it
performs.  Entry and key kinds are bound as parameters from their definitions
(:mod:`ledger.entries`, :mod:`ledger.store.models`), never spelled in the SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from ledger.errors import LogStateError
from ledger.store.castpath.caches import BIND_PROCESSORS
from ledger.store.castpath.memo import memo
from ledger.store.castpath.rows import (
    BALLOT_KINDS,
    HEAD_KINDS,
    HeadEntryRow,
    KeyRow,
    Node,
    StoredCheckpoint,
)
from ledger.store.models import VOTER_KEY, LedgerEntry
from ledger.store.models import Checkpoint as CheckpointRow
from ledger.store.rawcursor import RawCursor

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
    # SQLite scans every node of the log): not a list parameter, see _nodes
    "node": 'SELECT level, "index", hash FROM tree_node WHERE assembly_id = ? '
            'AND level = ? AND "index" = ?',
}
_PG = {k: v.replace("?", "%s") for k, v in SQL.items()}
_PG_IN = {k: v.replace("?", "%s") for k, v in SQL_IN.items()}
# PostgreSQL: many rows in one statement, a column per array parameter (executemany would
# send, and psycopg build in Python, one statement per row)
_MULTIROW = {
    "insert_entry": 'INSERT INTO ledger_entry (assembly_id, "index", kind, body, entry_hash, '
                    "head_id, agent, seq, voided_by, created_at) "
                    "SELECT a, i, k, b, h, hd, ag, s, NULL, c FROM unnest(%s::int4[], "
                    "%s::int4[], %s::text[], %s::bytea[], %s::bytea[], %s::text[], %s::text[], "
                    "%s::int4[], %s::timestamptz[]) AS t(a, i, k, b, h, hd, ag, s, c)",
    "insert_node": 'INSERT INTO tree_node (assembly_id, level, "index", hash) '
                   "SELECT * FROM unnest(%s::int4[], %s::int4[], %s::int4[], %s::bytea[])",
}


def _raw(session: Session) -> RawCursor:
    """The transaction's cursor, after flushing what the ORM has pending (so the
    statements see it)."""
    session.flush()
    m = memo(session)
    if m.raw is None:
        m.raw = RawCursor(session)
    return m.raw


def _sql(raw: RawCursor, name: str) -> str:
    return _PG[name] if raw.pg else SQL[name]


def _over(raw: RawCursor, name: str, values: list[str]) -> tuple[str, tuple[Any, ...]]:
    """``SQL_IN[name]`` over ``values``, and the values as its parameters."""
    if raw.pg:
        return _PG_IN[name].replace("{in}", "= ANY(%s)"), (values,)
    return SQL_IN[name].replace("{in}", f"IN ({', '.join('?' * len(values))})"), tuple(values)


def _nodes(raw: RawCursor, assembly_id: int, wanted: list[Node]) -> dict[Node, bytes]:
    part = _PG_IN["node"] if raw.pg else SQL_IN["node"]
    rows = raw.all(" UNION ALL ".join([part] * len(wanted)),
                   tuple(x for lv, ix in wanted for x in (assembly_id, lv, ix)))
    return {(lv, ix): bytes(h) for lv, ix, h in rows}


def _read_value(raw: RawCursor, column: Any, value: Any) -> Any:
    """A column value read raw, as the ORM would return it."""
    proc = column.type.dialect_impl(raw.dialect).result_processor(raw.dialect, None)
    return proc(value) if proc else value


def _bind_value(raw: RawCursor, column: Any, value: Any) -> Any:
    """``value`` as the column's type binds it on this dialect (exact ORM equivalence)."""
    key = (id(column), raw.dialect.name)
    proc = BIND_PROCESSORS.get(key, False)
    if proc is False:
        found = column.type.dialect_impl(raw.dialect).bind_processor(raw.dialect)
        proc = BIND_PROCESSORS.put(key, found)
    return proc(value) if proc else value


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
    raw = _raw(session)
    return raw.one(_sql(raw, "head") + lock_clause(session), (assembly_id,))


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
    statements = [(_sql(raw, "head") + lock_clause(session), (assembly_id,)),
                  (_sql(raw, "entry0"), (assembly_id,)),
                  (_sql(raw, "latest_checkpoint"), (assembly_id,))]
    if kids:
        sql, params = _over(raw, "keys", kids)
        statements.append((sql, (assembly_id, *params)))
    if heads:
        sql, params = _over(raw, "heads_entries", heads)
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
    raw = _raw(session)
    row = raw.one(_sql(raw, "key"), (assembly_id, kid))
    return None if row is None else KeyRow(*row)


def read_head_entries(session: Session, assembly_id: int, head_id: str) -> list[HeadEntryRow]:
    """The head's entries of the :data:`HEAD_KINDS`, unsorted (with ORDER BY, SQLite walks
    the log's whole (assembly, index) index)."""
    rows = memo(session).head_rows.get((assembly_id, head_id))  # read for the batch
    if rows is None:
        raw = _raw(session)
        rows = raw.all(_sql(raw, "head_entries"), (assembly_id, head_id, *HEAD_KINDS))
    return rows


def read_agent_heads(session: Session, assembly_id: int, agent: str) -> set[str]:
    """The heads a proxy agent has cast a ballot for that still stands."""
    raw = _raw(session)
    return {h for (h,) in raw.all(_sql(raw, "agent_heads"), (assembly_id, agent, *BALLOT_KINDS))}


def read_spki(session: Session, assembly_id: int, kid: str) -> bytes | None:
    """The SPKI of voter key ``kid`` enrolled in the log (None: no such voter key)."""
    raw = _raw(session)
    row = raw.one(_sql(raw, "spki"), (assembly_id, kid, VOTER_KEY))
    return None if row is None else bytes(row[0])


def read_spkis(session: Session, assembly_id: int, kids: list[str]) -> list[tuple[str, bytes]]:
    """(key id, SPKI) of the voter keys ``kids`` enrolled in the log, in one read."""
    raw = _raw(session)
    sql, params = _over(raw, "spkis", kids)
    return [(kid, bytes(spki)) for kid, spki in raw.all(sql, (assembly_id, VOTER_KEY, *params))]


def read_entry0_hash(session: Session, assembly_id: int) -> bytes | None:
    """Entry 0's hash (None: the assembly has no log)."""
    first = memo(session).entry0.get(assembly_id)  # read with the lock for the batch
    if first is not None:
        return first
    raw = _raw(session)
    row = raw.one(_sql(raw, "entry0"), (assembly_id,))
    return None if row is None else bytes(row[0])


def read_status_with_log(session: Session, assembly_id: int) -> str | None:
    """The assembly's status, if it has a log (None: no log, or no assembly)."""
    raw = _raw(session)
    row = raw.one(_sql(raw, "status_with_log"), (assembly_id,))
    return None if row is None else str(row[0])


def read_nodes(session: Session, assembly_id: int, wanted: list[Node]) -> dict[Node, bytes]:
    """The stored tree nodes among ``wanted`` (one primary-key lookup each, one statement)."""
    return _nodes(_raw(session), assembly_id, wanted)


def read_newest_checkpoint(session: Session, assembly_id: int) -> StoredCheckpoint | None:
    """The log's newest checkpoint, read under the writer lock (one indexed read)."""
    m = memo(session)
    row = m.checkpoints.get(assembly_id)
    if row is not None:
        return row
    if assembly_id in m.newest:  # read with the lock for the batch
        return m.newest[assembly_id]
    raw = _raw(session)
    return _stored_checkpoint(raw, assembly_id,
                              raw.one(_sql(raw, "latest_checkpoint"), (assembly_id,)))


def _stored_checkpoint(raw: RawCursor, assembly_id: int, found: tuple[Any, ...] | None
                       ) -> StoredCheckpoint | None:
    if found is None:
        return None
    cid, size, root, note, created = found
    return StoredCheckpoint(cid, assembly_id, size, bytes(root), note,
                            _read_value(raw, CheckpointRow.__table__.c.created_at, created))


def insert_checkpoint(session: Session, assembly_id: int, size: int, root: bytes, note: str,
                      created_at: dt.datetime) -> StoredCheckpoint:
    """Store a checkpoint signed under the writer lock; it is the log's newest."""
    raw = _raw(session)
    found = raw.one(_sql(raw, "insert_checkpoint"), (
        assembly_id, size, root, note,
        _bind_value(raw, CheckpointRow.__table__.c.created_at, created_at)))
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
    created = _bind_value(raw, LedgerEntry.__table__.c.created_at, created_at)
    entry_row = (assembly_id, index, kind, data, leaf, head_id, agent, seq, created)
    node_rows = [(assembly_id, lv, ix, h) for (lv, ix), h in new_nodes.items()]
    head_row = (index + 1, root, leaf, time_ms, peaks, assembly_id)
    if m.defer_writes:  # a batch: every row goes out with the next statement
        raw.defer(_sql(raw, "insert_entry"), [entry_row], multirow=_MULTIROW.get("insert_entry"))
        raw.defer(_sql(raw, "insert_node"), node_rows, multirow=_MULTIROW.get("insert_node"))
        raw.defer(_sql(raw, "update_head"), head_row, replace=assembly_id)
    else:
        with raw.pipelined():  # three writes, one round trip on PostgreSQL
            raw.run(_sql(raw, "insert_entry"), entry_row)
            raw.many(_sql(raw, "insert_node"), node_rows)
            raw.run(_sql(raw, "update_head"), head_row)
    m.nodes.setdefault(assembly_id, {}).update(new_nodes)
    m.appended[(assembly_id, index)] = leaf
    ballot = kind in BALLOT_KINDS
    rows = m.head_rows.get((assembly_id, head_id)) if ballot and head_id is not None else None
    if rows is not None:  # what a later ballot of the batch must see of this head
        rows.append((index, kind, seq, None, data))
    elif not ballot:
        m.forget_prefetched(assembly_id)
