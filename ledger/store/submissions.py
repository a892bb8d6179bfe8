"""Which witness is due to be asked to cosign which log's newest checkpoint, and the
log's record of each witness (:class:`~ledger.store.models.WitnessSubmission`).

Every timer of every worker may look for due work; :func:`claim` leases one
(witness, log) pair to one of them for a minute, with an ``UPDATE … WHERE
next_attempt_at <= now`` that only one transaction can win (an insert racing an
insert loses on the unique constraint).  Runs inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from ledger.store.models import Checkpoint, Cosignature, LogHead, WitnessSubmission


@dataclass(frozen=True)
class Due:
    assembly_id: int
    witness_id: int


def due(session: Session, witness_ids: list[int], now: dt.datetime) -> list[Due]:
    """(log, witness) pairs whose newest checkpoint the witness has not cosigned and
    whose next attempt is due (never asked, or the back-off has passed)."""
    newest = (select(Checkpoint.id).where(Checkpoint.assembly_id == LogHead.assembly_id)
              .order_by(Checkpoint.size.desc()).limit(1).scalar_subquery())
    found = []
    for witness_id in witness_ids:
        cosigned = exists().where(Cosignature.checkpoint_id == newest,
                                  Cosignature.witness_id == witness_id)
        waiting = exists().where(WitnessSubmission.assembly_id == LogHead.assembly_id,
                                 WitnessSubmission.witness_id == witness_id,
                                 WitnessSubmission.next_attempt_at > now)
        rows = session.scalars(
            select(LogHead.assembly_id)
            .where(newest.is_not(None), ~cosigned, ~waiting)
            .order_by(LogHead.assembly_id))
        found += [Due(aid, witness_id) for aid in rows]
    return found


def record_of(session: Session, witness_id: int, assembly_id: int) -> WitnessSubmission | None:
    return session.scalars(select(WitnessSubmission).where(
        WitnessSubmission.witness_id == witness_id,
        WitnessSubmission.assembly_id == assembly_id)).first()


def claim(session: Session, witness_id: int, assembly_id: int, now: dt.datetime,
          lease: dt.timedelta) -> bool:
    """Lease the pair to this caller until ``now + lease``; False if another has it."""
    row = record_of(session, witness_id, assembly_id)
    if row is None:
        session.add(WitnessSubmission(witness_id=witness_id, assembly_id=assembly_id,
                                      known_size=0, failures=0, next_attempt_at=now + lease,
                                      updated_at=now))
        session.flush()  # an insert racing ours fails here on the unique constraint
        return True
    result = session.execute(
        update(WitnessSubmission)
        .where(and_(WitnessSubmission.id == row.id, WitnessSubmission.next_attempt_at <= now))
        .values(next_attempt_at=now + lease, updated_at=now)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def succeeded(session: Session, witness_id: int, assembly_id: int, size: int,
              now: dt.datetime) -> None:
    session.execute(
        update(WitnessSubmission)
        .where(WitnessSubmission.witness_id == witness_id,
               WitnessSubmission.assembly_id == assembly_id)
        .values(known_size=size, failures=0, next_attempt_at=now, last_status=200,
                last_error=None, updated_at=now)
        .execution_options(synchronize_session=False))


def failed(session: Session, witness_id: int, assembly_id: int, *, status: int | None,
           error: str, delay: Callable[[int], int], known_size: int | None,
           now: dt.datetime) -> int:
    """Count a failure; the next attempt after ``delay(failures in a row)`` seconds.
    Returns the failures in a row."""
    row = record_of(session, witness_id, assembly_id)
    assert row is not None  # claimed first
    row.failures += 1
    row.next_attempt_at = now + dt.timedelta(seconds=delay(row.failures))
    row.last_status = status
    row.last_error = error[:300]
    row.updated_at = now
    if known_size is not None:
        row.known_size = known_size
    session.flush()
    return row.failures
