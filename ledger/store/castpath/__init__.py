"""The casting path: what an append does to the database, without the ORM, in one place.

A vote is thousands of ballots, each appended under its log's writer lock while
every other writer of the log waits.  An ORM statement costs far more CPU than
the indexed lookup it performs (``bench/cast.py`` showed ~20 statements and
~25 ms of CPU per ballot through the ORM), so what runs under the lock is here,
once — for ballots and for every other append (:func:`ledger.store.logstore.append`).

**Statements** (:data:`SQL`, :data:`SQL_IN`): plain SQL that SQLite and PostgreSQL
both accept, run on the session's DB-API connection inside its transaction
(:mod:`ledger.store.rawcursor`) after the ORM has flushed, so they see and are
seen by ORM work in the same transaction.  The entry and key kinds they filter
on are bound parameters from :mod:`ledger.entries` and :mod:`ledger.store.models`
(no kind is spelled in SQL).  Each statement is run by one public function below
(``read_…``, :func:`insert_checkpoint`, :func:`write_append`); other modules
call those.

**The per-transaction memo** (:class:`Memo`, in ``session.info``): the log heads
this transaction locked, the tree nodes it read or wrote, the entries it appended
and the checkpoint it signed, and what a batch of ballots read at once
(:func:`read_batch`).  All of it was read or written under the transaction's own
writer lock, so it is what the database holds for this transaction; it is
dropped when any transaction of the session ends.

**Deferred writes** (:func:`defer_writes`): a batch's appends ride along with the
transaction's next statement, in one pipeline on PostgreSQL.  Nothing can read
around them: the cursor sends them before any statement of its own, and the
session before any ORM statement, flush or commit (the event listeners that
:func:`install` registers on a session factory).

**Process caches** (:class:`BoundedCache`, each emptied when full) of what never
changes once written, keyed so that a hit cannot be stale:
:data:`PARSED_ENTRIES` ((assembly, index) -> bytes and parsed entry; a hit counts
only for the very bytes), :data:`PUBLISHED` ((assembly, entry 0's hash) -> the
definition and frozen roster entry 0 commits to), :data:`DEVICE_KEYS` (key id,
the SHA-256 of the SPKI -> loaded key; enrolment in *this* log is read under the
lock for every ballot), :data:`VERIFIED_SIGNATURES` (digests of key id, message
and signature verified), :data:`VISIBLE_LOGS` (per engine, assemblies with a
log in an owners' status: a log stays, the lifecycle only moves forward) and
the column types' bind processors.  :func:`reset` empties them all.  A running
server never needs it — nothing a cache holds can change or be taken back; tests
call it (a fixture) to start from a cold process.  Not caches, and not here:
the per-engine :class:`~ledger.store.sequencer.Sequencer` (live queues and
sessions) and the SQLite writers' gates (:mod:`ledger.store.sqlitegate`: locks).

The path: :mod:`ledger.store.sequencer` batches a process's ballots per log;
:func:`ledger.store.logstore.lock_head_for_batch` takes the lock and reads for
the batch (:func:`read_batch`); :mod:`ledger.store.writer` checks each ballot
(device key, signature, rules; a head read through :mod:`ledger.store.headstate`,
the published assembly through :mod:`ledger.store.publish`);
:func:`ledger.store.logstore.append` appends (:func:`write_append`);
:mod:`ledger.store.checkpoints` signs one checkpoint, :mod:`ledger.store.receipts`
builds the receipts.

The package: :mod:`~ledger.store.castpath.statements` (the SQL and the functions
that run it), :mod:`~ledger.store.castpath.memo` (the memo and its session events),
:mod:`~ledger.store.castpath.caches` (the process caches and :func:`reset`) and
:mod:`~ledger.store.castpath.rows` (the rows it reads, as frozen values); import
what they offer from ``ledger.store.castpath`` itself.
"""

from ledger.store.castpath.caches import (
    BIND_PROCESSORS,
    CACHES,
    DEVICE_KEYS,
    ELECTION_HINTS,
    ELECTION_KEYS,
    PARSED_ENTRIES,
    PUBLISHED,
    VERIFIED_PROOFS,
    VERIFIED_SIGNATURES,
    VISIBLE_LOGS,
    BoundedCache,
    cache_sizes,
    reset,
)
from ledger.store.castpath.memo import (
    SESSION_LISTENERS,
    Memo,
    defer_writes,
    install,
    memo,
    send_deferred,
)
from ledger.store.castpath.rows import (
    BALLOT_KINDS,
    HEAD_KINDS,
    HeadEntryRow,
    KeyRow,
    Node,
    StoredCheckpoint,
)
from ledger.store.castpath.statements import (
    SQL,
    SQL_IN,
    insert_checkpoint,
    lock_clause,
    read_agent_heads,
    read_batch,
    read_entry0_hash,
    read_head_entries,
    read_key,
    read_locked_head,
    read_newest_checkpoint,
    read_nodes,
    read_spki,
    read_spkis,
    read_status_with_log,
    write_append,
)

__all__ = [
    "BALLOT_KINDS", "BIND_PROCESSORS", "CACHES", "DEVICE_KEYS", "ELECTION_HINTS", "ELECTION_KEYS",
    "HEAD_KINDS", "PARSED_ENTRIES", "PUBLISHED", "SESSION_LISTENERS", "SQL", "SQL_IN",
    "VERIFIED_PROOFS", "VERIFIED_SIGNATURES", "VISIBLE_LOGS",
    "BoundedCache", "HeadEntryRow", "KeyRow", "Memo", "Node", "StoredCheckpoint",
    "cache_sizes", "defer_writes", "insert_checkpoint", "install", "lock_clause", "memo",
    "read_agent_heads", "read_batch", "read_entry0_hash", "read_head_entries", "read_key",
    "read_locked_head", "read_newest_checkpoint", "read_nodes", "read_spki", "read_spkis",
    "read_status_with_log", "reset", "send_deferred", "write_append",
]
