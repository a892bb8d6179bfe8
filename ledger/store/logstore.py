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
from ledger.entries import GENESIS_PREV, encode_entry, entry_hash, parse_entry
from ledger.errors import LogStateError, Refusal
from ledger.kinds import PUBLISHED
from ledger.merkle import empty_root, node_hash
from ledger.note import Checkpoint
from ledger.store import castpath, rawcursor, sqlitegate
from ledger.store.castpath import StoredCheckpoint
from ledger.store.models import LedgerEntry, LogHead
from ledger.timestamps import ms_to_datetime, now_ms


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
    head = castpath.memo(session).locked.get(assembly_id)
    if head is not None:
        return head
    return _locked_head(session, assembly_id, castpath.read_locked_head(session, assembly_id))


def lock_head_for_batch(session: Session, assembly_id: int, heads: Iterable[str],
                        kids: Iterable[str]) -> LogHead:
    """:func:`lock_head` for a batch of ballots of ``heads`` signed with the device keys
    ``kids``: the lock and everything checking them reads, in one round trip
    (:func:`ledger.store.castpath.read_batch`).  Call first in the writer transaction
    (after :func:`begin_write`)."""
    if assembly_id in castpath.memo(session).locked:
        raise RuntimeError("lock_head_for_batch must take the log's lock itself")
    return _locked_head(session, assembly_id,
                        castpath.read_batch(session, assembly_id, heads, kids))


def _locked_head(session: Session, assembly_id: int, row: tuple | None) -> LogHead:
    """The head row just read with the lock, as the transaction's locked head."""
    if row is None:
        raise LogStateError(f"assembly {assembly_id} has no log", code=Refusal.NO_LOG)
    origin, size, root, last, vkey, opens, closes, closed, last_time, peaks = row
    root, peaks = bytes(root), None if peaks is None else bytes(peaks)
    head = rawcursor.adopt(session, LogHead, assembly_id, {
        "assembly_id": assembly_id, "origin": origin, "size": size, "root": root,
        "last_entry_hash": bytes(last), "log_vkey": vkey, "opens_at_ms": opens,
        "closes_at_ms": closes, "closed": bool(closed), "last_time_ms": last_time,
        "peaks": peaks,
    })
    memo = castpath.memo(session)
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
        known = castpath.memo(session).nodes.setdefault(assembly_id, {})
        wanted = list(nodes)
        missing = [n for n in wanted if n not in known]
        if missing:
            known.update(castpath.read_nodes(session, assembly_id, missing))
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
    witness_policy: dict[str, Any] | None = None,
) -> Appended:
    """Create the log of an assembly with its first entry, ``assembly.published``
    (with the witness policy, when there is one: :mod:`ledger.witnesspolicy`)."""
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
    if witness_policy is not None:
        body["witness_policy"] = witness_policy
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
        new_nodes[node] = node_hash(found[left], new_nodes[right])
    found.update(new_nodes)
    peaks = [found[n] for n in treemath.peaks(index + 1)]
    root = treemath.fold(peaks)
    peak_bytes = b"".join(peaks)
    castpath.write_append(session, assembly_id, index=index, kind=kind, data=data, leaf=leaf,
                          time_ms=t, created_at=ms_to_datetime(t), head_id=head_id,
                          agent=agent, seq=seq, new_nodes=new_nodes, root=root,
                          peaks=peak_bytes)
    rawcursor.refresh(head, size=index + 1, root=root, last_entry_hash=leaf, last_time_ms=t,
                     peaks=peak_bytes)
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


# -- the casting path's checkpoints (see ledger.store.castpath) ---------------------------------


def newest_checkpoint(session: Session, assembly_id: int) -> StoredCheckpoint | None:
    """The log's newest checkpoint, read under the writer lock (one indexed read)."""
    return castpath.read_newest_checkpoint(session, assembly_id)


def insert_checkpoint(session: Session, assembly_id: int, cp: Checkpoint, note: str,
                      created_at: dt.datetime) -> StoredCheckpoint:
    """Store a checkpoint signed under the writer lock; it is the log's newest."""
    return castpath.insert_checkpoint(session, assembly_id, cp.size, cp.root, note, created_at)


def signed_here(session: Session, row: Any) -> bool:
    """Was ``row`` (a checkpoint) signed in this transaction? (then it has no cosignature)"""
    return castpath.memo(session).checkpoints.get(row.assembly_id) is row


def fresh_checkpoint_with(session: Session, assembly_id: int, index: int
                          ) -> StoredCheckpoint | None:
    """The checkpoint this transaction signed for the log, if it contains entry ``index``:
    signed under the writer lock, it is the log's newest."""
    row = castpath.memo(session).checkpoints.get(assembly_id)
    return row if row is not None and row.size > index else None


def appended_hash(session: Session, assembly_id: int, index: int) -> bytes | None:
    """The hash of entry ``index`` if this transaction appended it."""
    return castpath.memo(session).appended.get((assembly_id, index))
