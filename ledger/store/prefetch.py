"""What a batch of ballots reads under the log's lock, read at once.

Checking a ballot under the lock reads its device key's row and its head's
entries (:func:`ledger.store.writer.check_ballot`), and the batch's checkpoint
reads entry 0 and the newest checkpoint: two statements per ballot, each a
round trip to PostgreSQL made while every other writer of the log waits.
:func:`for_batch` reads all of it for the whole batch in one pipeline, lock
first: PostgreSQL runs a pipeline's statements in order, so the reads start
once ``SELECT … FOR UPDATE`` holds the lock and see the log as its holder does
(each statement of a READ COMMITTED transaction takes its snapshot when it
starts).  On SQLite (one process's memory away, the ``BEGIN IMMEDIATE``
transaction holding the lock already) the same statements simply run in turn.

What was read goes into the transaction's memo (:mod:`ledger.store.fastpath`), where
:func:`ledger.store.headstate.key_row`, :func:`ledger.store.headstate.head_rules`,
:func:`ledger.store.publish.published` and :func:`ledger.store.logstore.newest_checkpoint`
find it.  The batch's own appends keep it current
(:func:`ledger.store.logstore.append` adds each ballot to its head's rows), and an
entry of any other kind makes them read afresh.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ledger.store import fastpath, logstore
from ledger.store.headstate import KeyRow
from ledger.store.models import LogHead

_KEYS = ("SELECT key_id, kind, head_id, role, agent, voter, revoked_index FROM ledger_key "
         "WHERE assembly_id = ? AND key_id {}")
_HEAD_ENTRIES = ('SELECT head_id, "index", kind, seq, voided_by, body FROM ledger_entry '
                 "WHERE assembly_id = ? AND head_id {} AND kind IN "
                 "('ballot', 'paper_ballot', 'representative.set', 'unit.transferred')")


def _in(raw: fastpath.Raw, values: list[str]) -> tuple[str, tuple]:
    """``IN`` a list: one array parameter on PostgreSQL (the same statement text whatever
    the batch's size, so the server's prepared statement is reused), placeholders on SQLite."""
    if raw.pg:
        return "= ANY(?)", (values,)
    return f"IN ({', '.join('?' * len(values))})", tuple(values)


def for_batch(session: Session, assembly_id: int, heads: Iterable[str], kids: Iterable[str]
              ) -> LogHead:
    """Take the log's lock and read what checking ballots of ``heads`` signed with the
    device keys ``kids`` needs; returns the locked head.  Call first in the writer
    transaction (after :func:`ledger.store.logstore.begin_write`)."""
    memo = fastpath.memo(session)
    if assembly_id in memo.locked:
        raise RuntimeError("ledger.store.prefetch.for_batch must take the log's lock itself")
    heads, kids = sorted(set(heads)), sorted(set(kids))
    raw = fastpath.raw(session)
    statements = [(fastpath.SQL["head"] + logstore.lock_suffix(session), (assembly_id,)),
                  (fastpath.SQL["entry0"], (assembly_id,)),
                  (fastpath.SQL["latest_checkpoint"], (assembly_id,))]
    if kids:
        cond, params = _in(raw, kids)
        statements.append((_KEYS.format(cond), (assembly_id, *params)))
    if heads:
        cond, params = _in(raw, heads)
        statements.append((_HEAD_ENTRIES.format(cond), (assembly_id, *params)))
    found = raw.reads(statements)
    head = logstore.locked_head(session, assembly_id, found[0][0] if found[0] else None)
    if found[1]:
        memo.entry0[assembly_id] = bytes(found[1][0][0])
    memo.newest[assembly_id] = logstore.stored_checkpoint(
        raw, assembly_id, found[2][0] if found[2] else None)
    rest = iter(found[3:])
    if kids:
        rows = {r[0]: KeyRow(*r[1:]) for r in next(rest)}
        for kid in kids:
            memo.keys[(assembly_id, kid)] = rows.get(kid)
    if heads:
        by_head: dict[str, list[tuple]] = {h: [] for h in heads}
        for head_id, *row in next(rest):
            by_head[head_id].append(tuple(row))
        for head_id, rows_of in by_head.items():
            memo.head_rows[(assembly_id, head_id)] = rows_of
    return head
