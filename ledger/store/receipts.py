"""Receipts of stored entries: the proof against the newest checkpoint, and its update.

The receipt itself, its tracker code and its verification are pure
(:mod:`ledger.receipts`); here they are read out of the stored log.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import ReceiptError
from ledger.note import Checkpoint, parse_note
from ledger.receipts import Receipt
from ledger.store import logstore
from ledger.store.checkpoints import cosigned_note, latest
from ledger.store.models import Checkpoint as CheckpointRow
from ledger.store.models import LedgerEntry


def make_receipt(session: Session, assembly_id: int, index: int) -> Receipt:
    """Receipt of entry ``index`` against the newest checkpoint that contains it.

    Issue a checkpoint first (:func:`ledger.store.checkpoints.issue_checkpoint`) so
    the receipt can be given right after casting.
    """
    row = logstore.fresh_checkpoint_with(session, assembly_id, index) or session.scalars(
        select(CheckpointRow)
        .where(CheckpointRow.assembly_id == assembly_id, CheckpointRow.size > index)
        .order_by(CheckpointRow.size.desc())
        .limit(1)
    ).first()
    if row is None:
        raise ReceiptError(f"no checkpoint contains entry {index} yet")
    leaf = logstore.appended_hash(session, assembly_id, index)
    if leaf is None:
        entry = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == index
            )
        ).one()
        leaf = bytes(entry.entry_hash)
    proof = logstore.inclusion_proof(session, assembly_id, index, row.size)
    return Receipt(index, leaf, cosigned_note(session, row), tuple(proof))


def receipt_update(session: Session, assembly_id: int, receipt: Receipt) -> tuple[str, list[bytes]]:
    """What a receipt checker fetches: the newest checkpoint and the consistency proof to it."""
    row = latest(session, assembly_id)
    if row is None:
        raise ReceiptError("the log has no checkpoint")
    old = Checkpoint.parse(parse_note(receipt.checkpoint).text)
    return cosigned_note(session, row), logstore.consistency_proof(
        session, assembly_id, old.size, row.size
    )
