"""The stored log: one append-only, hash-chained Merkle log per assembly.

Every function runs inside the caller's transaction and never commits.  Writers
take the per-log lock first (:func:`lock_head`): ``SELECT ... FOR UPDATE`` on
the ``log_head`` row on PostgreSQL; on SQLite the transaction must have been
started with :func:`begin_write` (``BEGIN IMMEDIATE``), which makes the whole
database single-writer.  An append reads the O(log n) peak nodes of the tree,
inserts the entry and the newly completed subtree nodes, and updates the head;
proofs read O(log n) ``tree_node`` rows (:mod:`ledger.treemath`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import treemath
from ledger.entries import (
    BALLOT,
    GENESIS_PREV,
    PAPER_BALLOT,
    PUBLISHED,
    encode_entry,
    entry_hash,
    parse_entry,
)
from ledger.errors import LogStateError, Refusal
from ledger.merkle import empty_root
from ledger.note import Checkpoint
from ledger.store import fastpath, sqlitegate
from ledger.store.models import LedgerEntry, LogHead
from ledger.timestamps import ms_to_datetime, now_ms

_BALLOTS = (BALLOT, PAPER_BALLOT)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (``BEGIN IMMEDIATE`` on SQLite).

    Call before anything else in the transaction that will append.  On SQLite
    the writers of every process first queue on a lock file beside the database
    (:mod:`ledger.store.sqlitegate`), released when the transaction ends.
    """
    if _is_sqlite(session):
        if session.in_transaction():
            if session.connection().get_execution_options().get("sqlite_begin") == "IMMEDIATE":
                return
            raise LogStateError("begin_write must start the transaction; commit or roll back first")
        held = sqlitegate.enter(session)
        try:
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        except BaseException:
            sqlitegate.leave(session, held)
            raise
        sqlitegate.attach(session, held)


def lock_head(session: Session, assembly_id: int) -> LogHead:
    """Take the log's writer lock and return its head row (fresh from the database).

    Within one transaction the lock is taken once: later calls return the same
    head, which this transaction alone may change until it ends.
    """
    head = fastpath.memo(session).locked.get(assembly_id)
    if head is not None:
        return head
    raw = fastpath.raw(session)
    return locked_head(session, assembly_id, raw.one("head", (assembly_id,), lock_suffix(session)))


def lock_suffix(session: Session) -> str:
    """What turns the ``head`` read into taking the log's lock (PostgreSQL: a row lock;
    SQLite: nothing — the ``BEGIN IMMEDIATE`` transaction holds the database's, checked)."""
    if not _is_sqlite(session):
        return " FOR UPDATE"
    if session.connection().get_execution_options().get("sqlite_begin") != "IMMEDIATE":
        raise LogStateError(
            "on SQLite an append needs a BEGIN IMMEDIATE transaction: "
            "call ledger.store.logstore.begin_write(session) first"
        )
    return ""


def locked_head(session: Session, assembly_id: int, row: tuple | None) -> LogHead:
    """The head row just read with :func:`lock_suffix`, as the transaction's locked head."""
    if row is None:
        raise LogStateError(f"assembly {assembly_id} has no log", code=Refusal.NO_LOG)
    origin, size, root, last, vkey, opens, closes, closed, last_time, peaks = row
    root, peaks = bytes(root), None if peaks is None else bytes(peaks)
    head = fastpath.adopt(session, LogHead, assembly_id, {
        "assembly_id": assembly_id, "origin": origin, "size": size, "root": root,
        "last_entry_hash": bytes(last), "log_vkey": vkey, "opens_at_ms": opens,
        "closes_at_ms": closes, "closed": bool(closed), "last_time_ms": last_time,
        "peaks": peaks,
    })
    memo = fastpath.memo(session)
    memo.locked[assembly_id] = head
    known = _peak_nodes(size, root, peaks)
    if known:  # what the next append folds, without reading tree nodes
        memo.nodes.setdefault(assembly_id, {}).update(known)
    return head


def _peak_nodes(size: int, root: bytes, peaks: bytes | None) -> dict[treemath.Node, bytes]:
    """The head row's peaks as tree nodes — only if they fold to its root (else, or for a
    log that has none stored, nothing: the nodes are read)."""
    nodes = treemath.peaks(size)
    if peaks is None or len(peaks) != 32 * len(nodes):
        return {}
    hashes = [peaks[i:i + 32] for i in range(0, len(peaks), 32)]
    return dict(zip(nodes, hashes, strict=True)) if treemath.fold(hashes) == root else {}


def get_head(session: Session, assembly_id: int) -> LogHead:
    head = session.get(LogHead, assembly_id)
    if head is None:
        raise LogStateError(f"assembly {assembly_id} has no log", code=Refusal.NO_LOG)
    return head


def node_getter(session: Session, assembly_id: int) -> treemath.Getter:
    """Tree nodes by (level, index): from this transaction's memo, else one query."""

    def get(nodes: Iterable[treemath.Node]) -> Mapping[treemath.Node, bytes]:
        known = fastpath.memo(session).nodes.setdefault(assembly_id, {})
        wanted = list(nodes)
        missing = [n for n in wanted if n not in known]
        if missing:
            known.update(fastpath.raw(session).nodes(assembly_id, missing))
        return {n: known[n] for n in wanted if n in known}

    return get


@dataclass(frozen=True)
class Appended:
    index: int
    entry_hash: bytes
    data: bytes
    size: int
    root: bytes


def create_log(
    session: Session,
    assembly_id: int,
    *,
    origin: str,
    log_vkey: str,
    assembly: dict[str, Any],
    roster_sha256: str,
    opens_at_ms: int,
    closes_at_ms: int,
    now: dt.datetime | None = None,
) -> Appended:
    """Create the log of an assembly with its first entry, ``assembly.published``."""
    begin_check = session.get(LogHead, assembly_id)
    if begin_check is not None:
        raise LogStateError(f"assembly {assembly_id} already has a log")
    if not opens_at_ms < closes_at_ms:
        raise LogStateError("the voting window must open before it closes")
    session.add(
        LogHead(
            assembly_id=assembly_id,
            origin=origin,
            size=0,
            root=empty_root(),
            last_entry_hash=GENESIS_PREV,
            log_vkey=log_vkey,
            opens_at_ms=opens_at_ms,
            closes_at_ms=closes_at_ms,
            closed=False,
            last_time_ms=0,
            peaks=b"",
        )
    )
    session.flush()
    body = {
        "origin": origin,
        "assembly": assembly,
        "roster_sha256": roster_sha256,
        "log_key": log_vkey,
    }
    return append(session, assembly_id, PUBLISHED, body, now=now)


def append(
    session: Session,
    assembly_id: int,
    kind: str,
    body: dict[str, Any],
    *,
    now: dt.datetime | None = None,
    head_id: str | None = None,
    agent: str | None = None,
    seq: int | None = None,
    head: LogHead | None = None,
) -> Appended:
    """Append one entry (already validated by the caller) under the writer lock."""
    head = head or lock_head(session, assembly_id)
    index = head.size
    if (kind == PUBLISHED) != (index == 0):
        raise LogStateError("assembly.published is the first entry and only the first")
    t = max(now_ms(now), head.last_time_ms)  # the log's clock never goes back
    data = encode_entry(index, bytes(head.last_entry_hash), t, kind, body)
    leaf = entry_hash(data)
    old_peaks = treemath.peaks(index)
    found = dict(node_getter(session, assembly_id)(old_peaks))
    new_nodes: dict[treemath.Node, bytes] = {(0, index): leaf}
    for node, left, right in treemath.completed_by_append(index):
        new_nodes[node] = treemath.node_hash(found[left], new_nodes[right])
    found.update(new_nodes)
    peaks = [found[n] for n in treemath.peaks(index + 1)]
    root = treemath.fold(peaks)
    raw = fastpath.raw(session)
    memo = fastpath.memo(session)
    created = raw.timestamp(LedgerEntry.__table__.c.created_at, ms_to_datetime(t))
    entry_row = (assembly_id, index, kind, data, leaf, head_id, agent, seq, created)
    node_rows = [(assembly_id, lv, ix, h) for (lv, ix), h in new_nodes.items()]
    peak_bytes = b"".join(peaks)
    head_row = (index + 1, root, leaf, t, peak_bytes, assembly_id)
    if memo.defer_writes:  # a batch: every row goes out with the next statement
        raw.defer("insert_entry", [entry_row])
        raw.defer("insert_node", node_rows)
        raw.defer("update_head", head_row, replace=assembly_id)
    else:
        with raw.pipelined():  # three writes, one round trip on PostgreSQL
            raw.run("insert_entry", entry_row)
            raw.many("insert_node", node_rows)
            raw.run("update_head", head_row)
    fastpath.refresh(head, size=index + 1, root=root, last_entry_hash=leaf, last_time_ms=t,
                   peaks=peak_bytes)
    memo.nodes.setdefault(assembly_id, {}).update(new_nodes)
    memo.appended[(assembly_id, index)] = leaf
    rows = memo.head_rows.get((assembly_id, head_id)) if kind in _BALLOTS else None
    if rows is not None:  # what a later ballot of the batch must see of this head
        rows.append((index, kind, seq, None, data))
    elif kind not in _BALLOTS:
        memo.forget_prefetched(assembly_id)
    return Appended(index, leaf, data, index + 1, root)


def entry_bytes(session: Session, assembly_id: int, index: int) -> bytes:
    row = session.scalars(
        select(LedgerEntry.body).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == index
        )
    ).one_or_none()
    if row is None:
        raise LogStateError(f"assembly {assembly_id} has no entry {index}")
    return bytes(row)


def read_entry(session: Session, assembly_id: int, index: int):  # -> entries.Entry
    return parse_entry(entry_bytes(session, assembly_id, index), index)


def iter_entries(session: Session, assembly_id: int, batch: int = 2000) -> Iterable[bytes]:
    """Every entry's bytes in order, reading ``batch`` rows at a time."""
    start = 0
    while True:
        rows = session.scalars(
            select(LedgerEntry.body)
            .where(LedgerEntry.assembly_id == assembly_id, LedgerEntry.index >= start)
            .order_by(LedgerEntry.index)
            .limit(batch)
        ).all()
        if not rows:
            return
        for r in rows:
            yield bytes(r)
        start += len(rows)


def root_at(session: Session, assembly_id: int, size: int) -> bytes:
    head = get_head(session, assembly_id)
    if not 0 <= size <= head.size:
        raise LogStateError(f"size {size} outside the log's 0..{head.size}")
    return treemath.root(size, node_getter(session, assembly_id))


def inclusion_proof(session: Session, assembly_id: int, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    head = get_head(session, assembly_id)
    if size > head.size:
        raise LogStateError(f"size {size} is beyond the log's {head.size}")
    ranges = treemath.inclusion_ranges(index, size)
    return treemath.hashes_for(ranges, node_getter(session, assembly_id))


def consistency_proof(session: Session, assembly_id: int, old_size: int, size: int) -> list[bytes]:
    """RFC 9162 consistency proof from ``old_size`` to ``size``."""
    head = get_head(session, assembly_id)
    if size > head.size:
        raise LogStateError(f"size {size} is beyond the log's {head.size}")
    ranges = treemath.consistency_ranges(old_size, size)
    return treemath.hashes_for(ranges, node_getter(session, assembly_id))


def current_checkpoint(session: Session, assembly_id: int) -> Checkpoint:
    head = get_head(session, assembly_id)
    return Checkpoint(head.origin, head.size, bytes(head.root))


# -- the casting path's shortcuts (see ledger.store.fastpath) ------------------------------------


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A row of ``checkpoint`` as the casting path reads and writes it (no ORM object)."""

    id: int
    assembly_id: int
    size: int
    root: bytes
    note: str
    created_at: dt.datetime


def newest_checkpoint(session: Session, assembly_id: int) -> StoredCheckpoint | None:
    """The log's newest checkpoint, read under the writer lock (one indexed read)."""
    memo = fastpath.memo(session)
    row = memo.checkpoints.get(assembly_id)
    if row is not None:
        return row
    if assembly_id in memo.newest:  # read with the lock (ledger.store.prefetch)
        return memo.newest[assembly_id]
    raw = fastpath.raw(session)
    return stored_checkpoint(raw, assembly_id, raw.one("latest_checkpoint", (assembly_id,)))


def stored_checkpoint(raw: fastpath.Raw, assembly_id: int, found: tuple | None
                      ) -> StoredCheckpoint | None:
    """A ``latest_checkpoint`` row read raw."""
    from ledger.store.models import Checkpoint as CheckpointRow

    if found is None:
        return None
    cid, size, root, note, created = found
    return StoredCheckpoint(cid, assembly_id, size, bytes(root), note,
                            raw.datetime(CheckpointRow.__table__.c.created_at, created))


def insert_checkpoint(session: Session, assembly_id: int, cp: Checkpoint, note: str,
                      created_at: dt.datetime) -> StoredCheckpoint:
    """Store a checkpoint signed under the writer lock; it is the log's newest."""
    from ledger.store.models import Checkpoint as CheckpointRow

    raw = fastpath.raw(session)
    (cid,) = raw.one("insert_checkpoint", (
        assembly_id, cp.size, cp.root, note,
        raw.timestamp(CheckpointRow.__table__.c.created_at, created_at)))
    row = StoredCheckpoint(cid, assembly_id, cp.size, cp.root, note, created_at)
    fastpath.memo(session).checkpoints[assembly_id] = row
    return row


def signed_here(session: Session, row: Any) -> bool:
    """Was ``row`` (a checkpoint) signed in this transaction? (then it has no cosignature)"""
    return fastpath.memo(session).checkpoints.get(row.assembly_id) is row


def fresh_checkpoint_with(session: Session, assembly_id: int, index: int):
    """The checkpoint this transaction signed for the log, if it contains entry ``index``:
    signed under the writer lock, it is the log's newest."""
    row = fastpath.memo(session).checkpoints.get(assembly_id)
    return row if row is not None and row.size > index else None


def appended_hash(session: Session, assembly_id: int, index: int) -> bytes | None:
    """The hash of entry ``index`` if this transaction appended it."""
    return fastpath.memo(session).appended.get((assembly_id, index))
