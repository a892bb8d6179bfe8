"""The per-transaction memo of the casting path, and the session events that keep it.

What one transaction locked, read and wrote lives in ``session.info`` (a new
:class:`Memo` in each transaction); deferred writes go out before any ORM statement,
flush or commit of the session (the listeners :func:`install` registers on a session
factory), and the memo is dropped when the transaction ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ledger.store.castpath.rows import HeadEntryRow, KeyRow, Node, StoredCheckpoint
from ledger.store.rawcursor import RawCursor

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
    defer_writes: bool = False  # appends go out with the next statement (defer_writes)
    raw: RawCursor | None = None

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
