"""Signed checkpoints of the logs, witnesses and their cosignatures (``ownervote assembly``).

Each change is one unit of work (:func:`ownervote.services.unit_of_work.writing`):
:func:`issue` signs the log's current tree head with that log's own key (current or
retired) if it grew, only when consistent with the last checkpoint
(:func:`ledger.store.checkpoints.issue_checkpoint`); :func:`register_witness` and
:func:`add_cosignature` record a witness's key and verify a cosignature before
storing it.  Refusals are :class:`ledger.errors.LedgerError` subclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.errors import CosignatureError
from ledger.store import checkpoints as store
from ledger.store.models import Cosignature, LogHead, Witness
from ownervote.audit import record
from ownervote.services.keys import log_signer_for
from ownervote.services.unit_of_work import end_read, writing


def open_logs(session: Session) -> list[int]:
    """Assemblies whose log is not closed."""
    ids = list(session.scalars(select(LogHead.assembly_id).where(LogHead.closed.is_(False))
                               .order_by(LogHead.assembly_id)))
    end_read(session)
    return ids


def issue(session: Session, settings: Any, assembly_id: int) -> int:
    """Sign a checkpoint of the log if it grew; the size of the newest checkpoint."""
    signer = log_signer_for(session, settings, assembly_id)
    with writing(session):
        row = store.issue_checkpoint(session, assembly_id, signer)
        size = row.size
    return size


def register_witness(session: Session, vkey: str, *, actor: str = "cli") -> str:
    """Register a witness by its cosignature/v1 verifier key; its name."""
    with writing(session):
        try:
            row = store.add_witness(session, vkey.strip())
        except ValueError as exc:
            raise CosignatureError(f"not a witness key (name+key id+key): {exc}") from None
        record(session, actor, "witness.register", f"witness:{row.name}")
        name = row.name
    return name


def add_cosignature(session: Session, assembly_id: int, size: int, cosigned: str) -> int:
    """Verify and store a witness's cosignature of the checkpoint of ``size``; its time."""
    with writing(session):
        row = store.add_cosignature(session, assembly_id, size, cosigned)
        timestamp = row.timestamp
    return timestamp


@dataclass(frozen=True)
class WitnessRow:
    """A registered witness as the administrators' page lists it."""

    name: str
    vkey: str  # its cosignature/v1 verifier key
    cosignatures: int
    added_at: dt.datetime


def witnesses(session: Session) -> list[WitnessRow]:
    """Every registered witness with its verifier key and how many cosignatures it gave."""
    counts = dict(session.execute(select(Cosignature.witness_id, func.count(Cosignature.id))
                                  .group_by(Cosignature.witness_id)).all())
    rows = [WitnessRow(w.name, store.witness_verifier(w).vkey, counts.get(w.id, 0), w.added_at)
            for w in session.scalars(select(Witness).order_by(Witness.name))]
    end_read(session)
    return rows
