"""Units sold during the vote (docs/law.md), recorded by a committee member from the registry.

The buyer is written in the ledger only as the voter reference their own verified
account will have (:func:`buyer_ref`); the registry record stays in the committee's
vault (its SHA-256 goes in the ledger).  :func:`prepare` checks the transfer as the
ledger will (:func:`ledger.store.committee.check_transfer`: one unit per head, not in
the future, not recorded already, the seller's later ballots voided first) before the
member signs; :func:`record` appends the signed entry as one unit of work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import idnumbers
from identity.keyed import KeyedHasher
from ledger import timestamps
from ledger.ballots import new_nonce
from ledger.entries import parse_entry
from ledger.kinds import UNIT_TRANSFERRED
from ledger.payloads import UnitTransferred
from ledger.store import committee, logstore
from ledger.store.committee import check_transfer
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from ownervote.services.committee_keys import append_signed


@dataclass(frozen=True)
class TransferRow:
    """A recorded transfer as the committee's list shows it (the buyer as a pseudonym)."""

    units: tuple[str, ...]
    at: dt.datetime
    entry: int
    voided: int | None
    buyer: str
    evidence: str


@dataclass(frozen=True)
class TransferDraft:
    """What the member signs, and what the summary beside it says."""

    payload: dict[str, Any]
    units: tuple[str, ...]
    voted_items: tuple[str, ...]  # items on which the seller's ballots before it stand


def buyer_ref(hasher: KeyedHasher, origin: str, id_type: str, number: str) -> str:
    """The buyer's voter reference in this log: the one their own verified account gets.

    Raises :class:`~identity.errors.IdNumberError` for an ID number that is not valid.
    """
    code, normalised = idnumbers.validate(id_type, number)
    return hasher.ledger_voter_ref(origin, hasher.id_hash(code, normalised, normalised=True))


def recorded(session: Session, assembly_id: int) -> list[TransferRow]:
    """The transfers in the log, oldest first."""
    roster = published(session, assembly_id)[1]
    rows = []
    for entry in session.scalars(select(LedgerEntry).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind == UNIT_TRANSFERRED)
            .order_by(LedgerEntry.index)):
        sale = parse_entry(bytes(entry.body), entry.index).payload_as(UnitTransferred)
        head = roster.heads.get(sale.head)
        rows.append(TransferRow(head.unit_ids if head else (sale.head,),
                                timestamps.ms_to_datetime(sale.transferred_at), entry.index,
                                entry.voided_by, sale.buyer[:12], sale.evidence_sha256))
    return rows


def prepare(session: Session, assembly_id: int, *, head_id: str, transferred_at: dt.datetime,
            buyer_id_type: str, buyer_id_number: str, official: str, hasher: KeyedHasher,
            now: dt.datetime) -> TransferDraft:
    """The transfer the member signs, checked as the ledger will check it.

    Raises :class:`~identity.errors.IdNumberError` (the buyer's ID number) or the
    ledger's refusal (:class:`~ledger.errors.LedgerError`: ``multi_unit_transfer``,
    ``transfer_in_future``, ``transfer_already_recorded``, ``void_later_ballots_first``
    …).  The registry record's SHA-256 (``evidence_sha256``) is added by the caller
    once the file is stored, after these checks.
    """
    origin = logstore.get_head(session, assembly_id).origin
    buyer = buyer_ref(hasher, origin, buyer_id_type, buyer_id_number)
    at_ms = timestamps.now_ms(transferred_at)
    state = check_transfer(session, assembly_id, head_id, at_ms, now=now)
    units = published(session, assembly_id)[1].heads[head_id].unit_ids
    voted = sorted({i for e in state.history for i in e.choices}, key=int)
    payload = {"origin": origin, "head": head_id, "buyer": buyer, "transferred_at": at_ms,
               "official": official, "nonce": new_nonce()}
    return TransferDraft(payload, units, tuple(voted))


def record(session: Session, assembly_id: int, *, payload: dict[str, Any], sig: bytes,
           staff_id: int, hasher: KeyedHasher, now: dt.datetime, actor: str
           ) -> logstore.Appended:
    """Append the signed transfer (one unit of work); refusals as :func:`prepare`."""
    return append_signed(
        session, assembly_id, official=payload.get("official"), staff_id=staff_id,
        hasher=hasher, actor=actor, action="unit.transfer",
        append=lambda s: committee.record_transfer(s, assembly_id, payload, sig, now=now),
        audit={"head": payload.get("head")})
