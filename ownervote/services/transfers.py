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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity import idnumbers
from identity.keyed import KeyedHasher
from identity.store.models import Building, Owner, Ownership, Unit
from ledger import timestamps
from ledger.ballots import new_nonce
from ledger.entries import parse_entry
from ledger.kinds import UNIT_TRANSFERRED
from ledger.payloads import UnitTransferred
from ledger.store import committee, logstore
from ledger.store.committee import check_transfer
from ledger.store.headstate import head_rules
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from ownervote.services.committee_keys import append_signed
from voting.store.models import Assembly


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
        units = (sale.unit,) if sale.unit is not None else head.unit_ids if head else (sale.head,)
        rows.append(TransferRow(units,
                                timestamps.ms_to_datetime(sale.transferred_at), entry.index,
                                entry.voided_by, sale.buyer[:12], sale.evidence_sha256))
    return rows


def prepare(session: Session, assembly_id: int, *, head_id: str, transferred_at: dt.datetime,
            buyer_id_type: str, buyer_id_number: str, official: str, hasher: KeyedHasher,
            now: dt.datetime, unit: str | None = None) -> TransferDraft:
    """The transfer the member signs, checked as the ledger will check it.

    ``unit``: the unit sold, needed when the frozen roster counts ``head_id``'s units as
    one owner (the head is split, docs/rules.md §7.7); a buyer who is already the sole
    owner of a head of the frozen roster joins it (``buyer_head``, :func:`buyer_head`).
    Raises :class:`~identity.errors.IdNumberError` (the buyer's ID number) or the
    ledger's refusal (:class:`~ledger.errors.LedgerError`: ``multi_unit_transfer``,
    ``unit_not_in_head``, ``transfer_in_future``, ``transfer_already_recorded``,
    ``void_later_ballots_first`` …).  The registry record's SHA-256 (``evidence_sha256``)
    is added by the caller once the file is stored, after these checks.
    """
    origin = logstore.get_head(session, assembly_id).origin
    code, normalised = idnumbers.validate(buyer_id_type, buyer_id_number)
    id_hash = hasher.id_hash(code, normalised, normalised=True)
    buyer = hasher.ledger_voter_ref(origin, id_hash)  # as buyer_ref()
    at_ms = timestamps.now_ms(transferred_at)
    roster = published(session, assembly_id)[1]
    joins = buyer_head(session, assembly_id, id_hash) if unit is not None else None
    # the buyer's own head may be the seller's: the ledger refuses that (buyer_is_seller)
    state = check_transfer(session, assembly_id, head_id, at_ms, now=now, unit=unit,
                           buyer_head=joins)
    units = (unit,) if unit is not None else roster.heads[head_id].unit_ids
    voted = sorted({i for e in state.history for i in e.choices}, key=int)
    payload = {"origin": origin, "head": head_id, "buyer": buyer, "transferred_at": at_ms,
               "official": official, "nonce": new_nonce()}
    if unit is not None:
        payload["unit"] = unit
    if joins is not None:
        payload["buyer_head"] = joins
    return TransferDraft(payload, units, tuple(voted))


def buyer_head(session: Session, assembly_id: int, id_hash: str) -> str | None:
    """The head of the assembly's frozen roster whose sole owner is the person ``id_hash``
    (one buyer of several units is one owner, SPC interpretation art. 9), if any."""
    a = session.get(Assembly, assembly_id)
    if a is None or a.roster_version_id is None:
        return None
    version = a.roster_version_id
    mine = select(Ownership.unit_id).join(Owner, Owner.id == Ownership.owner_id).where(
        Ownership.roster_version_id == version, Owner.id_hash == id_hash)
    rows = session.execute(
        select(Building.name, Unit.number, func.count(Ownership.owner_id))
        .join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.roster_version_id == version, Unit.id.in_(mine))
        .group_by(Building.name, Unit.number)).all()
    roster = published(session, assembly_id)[1]
    for building, number, owners in rows:
        head = roster.head_of_unit.get(f"{building}-{number}")
        if owners == 1 and head is not None and not roster.heads[head].developer \
                and head_rules(session, assembly_id, head).transfer is None:
            return head  # (a head the buyer sold whole during the vote is not theirs now)
    return None


def record(session: Session, assembly_id: int, *, payload: dict[str, Any], sig: bytes,
           staff_id: int, hasher: KeyedHasher, now: dt.datetime, actor: str
           ) -> logstore.Appended:
    """Append the signed transfer (one unit of work); refusals as :func:`prepare`."""
    return append_signed(
        session, assembly_id, official=payload.get("official"), staff_id=staff_id,
        hasher=hasher, actor=actor, action="unit.transfer",
        append=lambda s: committee.record_transfer(s, assembly_id, payload, sig, now=now),
        audit={"head": payload.get("head")})
