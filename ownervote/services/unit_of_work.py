"""The unit of work: where every transaction of the service layer begins and ends.

A service that changes anything does it inside ``with writing(session):``::

    with writing(session):
        a = session.get(Assembly, assembly_id)   # read again, inside the writer's transaction
        proceedings.open_voting(session, a, signer, now=now, actor=actor)
    # committed here; on any exception rolled back and re-raised

:func:`writing` ends the session's read transaction first, because a writer on
SQLite must *start* its transaction with ``BEGIN IMMEDIATE`` (behind the writers'
gate, :mod:`ledger.store.sqlitegate`) and cannot upgrade a read; on PostgreSQL
the per-log lock is taken by whoever appends (:func:`ledger.store.logstore.lock_head`).
Objects loaded before the unit began may be stale: read what the change depends on
inside it.  A unit entered while another is open on the same session joins it (the
outer one commits).

A service whose outcome must be kept even when it refuses (a failed verification
counts towards the lock-out) returns the refusal from inside the unit and raises it
after the commit.

:func:`end_read` ends a read transaction without writing (it gives the pooled
connection back, e.g. before waiting for a ballot's batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ledger.store import logstore

_DEPTH = "ownervote.unit_of_work.depth"


class UnitOfWorkError(RuntimeError):
    """A unit of work was used wrongly (changes made outside it would be lost or mixed in)."""


def _pending(session: Session) -> list[str]:
    return sorted({type(o).__name__ for o in (*session.new, *session.dirty, *session.deleted)})


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """One write transaction: commit when the block ends, roll back if it raises."""
    depth = session.info.get(_DEPTH, 0)
    if depth:
        session.info[_DEPTH] = depth + 1
        try:
            yield session
        finally:
            session.info[_DEPTH] = depth
        return
    pending = _pending(session)
    if pending:
        raise UnitOfWorkError(
            f"changes to {', '.join(pending)} were made outside a unit of work; make them "
            "inside `with writing(session):`")
    if session.in_transaction():
        session.commit()  # ends the read; nothing is pending, so nothing is written
    logstore.begin_write(session)
    session.info[_DEPTH] = 1
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_DEPTH, None)


def end_read(session: Session) -> None:
    """End the session's read transaction (its connection goes back to the pool)."""
    if session.info.get(_DEPTH):
        raise UnitOfWorkError("end_read inside a unit of work would throw its changes away")
    pending = _pending(session)
    if pending:
        raise UnitOfWorkError(f"end_read would throw away changes to {', '.join(pending)}")
    if session.in_transaction():
        session.rollback()
