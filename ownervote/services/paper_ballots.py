"""Paper ballots (书面投票) entered by a committee member and signed with their browser key.

:func:`prepare` checks the ballot exactly as the ledger will
(:func:`ledger.store.writer.check_paper_ballot`: window, ballot number, the casting
rules), so that a double vote is explained before anyone signs; :func:`enter` appends
the signed ballot as one unit of work.  :func:`ballot_rows` and :func:`first_ballot_at`
read what the pages and the refusal messages show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.masking import mask_name
from identity.pii import PiiCipher, owner_name_purpose
from identity.store.models import Building, Owner, Ownership, Unit
from ledger.ballots import new_nonce
from ledger.entries import parse_entry
from ledger.kinds import BALLOT, PAPER_BALLOT
from ledger.payloads import AnyBallot, PaperBallot
from ledger.store import logstore, trustees, writer
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from ownervote.services import owner_heads
from ownervote.services.committee_keys import append_signed
from ownervote.services.errors import NotFound
from voting.store.models import Assembly


@dataclass(frozen=True)
class BallotRow:
    """A ballot in the log as the committee's lists show it (never who cast it)."""

    index: int
    kind: str
    at: dt.datetime
    units: tuple[str, ...]
    items: tuple[str, ...]
    voided: bool
    scan: str | None


def ballot_rows(session: Session, assembly_id: int, *, kind: str | None = None,
                unit: str | None = None, index: int | None = None,
                limit: int = 500) -> list[BallotRow]:
    """The newest ballots of the log (``kind``: one kind only; ``unit``: of one unit;
    ``index``: the ballot at that ledger entry, if it is one)."""
    roster = published(session, assembly_id)[1]
    kinds = (kind,) if kind else (BALLOT, PAPER_BALLOT)
    q = (select(LedgerEntry).where(LedgerEntry.assembly_id == assembly_id,
                                   LedgerEntry.kind.in_(kinds))
         .order_by(LedgerEntry.index.desc()))
    if unit:
        q = q.where(LedgerEntry.head_id == (roster.head_of_unit.get(unit) or "-"))
    if index is not None:
        q = q.where(LedgerEntry.index == index)
    rows = []
    for e in session.scalars(q.limit(limit)):
        p = parse_entry(bytes(e.body), e.index).payload_as(AnyBallot)
        head = roster.heads.get(p.head)
        rows.append(BallotRow(e.index, e.kind, e.created_at,
                              head.unit_ids if head else (p.head,),
                              tuple(sorted(p.choices, key=int)), e.voided_by is not None,
                              p.scan_sha256 if isinstance(p, PaperBallot) else None))
    return rows


def owner_names(session: Session, assembly_id: int, head_id: str, *,
                cipher: PiiCipher) -> list[str]:
    """The masked names of the owners of a head's units in the frozen roster."""
    a = session.get(Assembly, assembly_id)
    head = published(session, assembly_id)[1].heads.get(head_id)
    if a is None or head is None:
        raise NotFound("head", head_id)
    rows = session.execute(
        select(Building.name, Unit.number, Owner.id_hash, Owner.name_enc)
        .join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .join(Owner, Owner.id == Ownership.owner_id)
        .where(Ownership.roster_version_id == a.roster_version_id))
    names = {mask_name(cipher.decrypt_text(name_enc, purpose=owner_name_purpose(id_hash)))
             for building, number, id_hash, name_enc in rows
             if f"{building}-{number}" in head.unit_ids}
    return sorted(names)


def co_owners(session: Session, assembly_id: int, head_id: str, *, hasher: KeyedHasher,
              cipher: PiiCipher) -> dict[str, str]:
    """voter reference -> masked name, for the owners of the head's units (who may sign)."""
    a = session.get(Assembly, assembly_id)
    if a is None:
        raise NotFound("assembly", assembly_id)
    origin = logstore.get_head(session, assembly_id).origin
    return owner_heads.co_owner_by_voter(session, a, origin,
                                         owner_heads.head_units(session, assembly_id, head_id),
                                         hasher=hasher, cipher=cipher)


def prepare(session: Session, assembly_id: int, *, head_id: str,
            choices: Mapping[str, Any] | None, official: str, now: dt.datetime,
            voter: str | None = None, hasher: KeyedHasher | None = None,
            cipher: PiiCipher | None = None, encrypted: Mapping[str, Any] | None = None,
            seq: int | None = None, nonce: str | None = None) -> dict[str, Any]:
    """The payload the member signs for a paper ballot, checked as the ledger will check it.

    ``voter``: the voter reference (:func:`co_owners`) of the co-owner who signed the
    sheet (one of the head's owners, else :class:`NotFound`; ``hasher`` and ``cipher``
    are needed to tell); the co-owner rule then refuses it unless that co-owner is the
    unit's representative (:func:`voting.casting.unit_voter`).
    Raises the ledger's refusal (:class:`~ledger.errors.LedgerError`: ``not_open``,
    ``closed`` …) or the casting rules' (:class:`~voting.errors.CastRefused`: a double
    vote, a wrong choice, another co-owner …).  The scan's SHA-256 (``scan_sha256``) is
    added by the caller once the scan is stored, after these checks.

    In a secret assembly the member's device encrypts the sheet (docs/secret-ballots.md
    §10.1, with the ``invalid`` option of a paper election, to :func:`election_key_hex`):
    either the payload prepared here from ``choices`` (checked by the casting rules as in
    an open assembly) gets ``encrypted`` in their place before it is signed, or the device
    passes ``encrypted`` (with the ``seq`` and ``nonce`` it encrypted for) right away.
    """
    content = {"encrypted": dict(encrypted)} if encrypted is not None else {
        "choices": dict(choices or {})}
    payload: dict[str, Any] = {
        "origin": logstore.get_head(session, assembly_id).origin, "head": head_id,
        "official": official,
        "seq": writer.next_seq(session, assembly_id, head_id) if seq is None else seq,
        "nonce": new_nonce() if nonce is None else nonce, **content}
    if voter is not None:
        if hasher is None or cipher is None:
            raise TypeError("naming the paper ballot's signer needs the hasher and the cipher")
        if voter not in co_owners(session, assembly_id, head_id, hasher=hasher, cipher=cipher):
            raise NotFound("co-owner", voter)
        payload["voter"] = voter
    writer.check_paper_ballot(session, assembly_id, payload, now=now)
    return payload


def election_key_hex(session: Session, assembly_id: int) -> str | None:
    """A secret assembly's election key, which the member's device encrypts a paper ballot
    to (``None``: open ballots)."""
    return trustees.published_key_hex(session, assembly_id)


def enter(session: Session, assembly_id: int, *, payload: dict[str, Any], sig: bytes,
          staff_id: int, hasher: KeyedHasher, now: dt.datetime, actor: str
          ) -> logstore.Appended:
    """Append the signed paper ballot (one unit of work); refusals as :func:`prepare`."""
    return append_signed(
        session, assembly_id, official=payload.get("official"), staff_id=staff_id,
        hasher=hasher, actor=actor, action="paper_ballot.enter",
        append=lambda s: writer.enter_paper_ballot(s, assembly_id, payload, sig, now=now),
        audit={"head": payload.get("head")})


def first_ballot_at(session: Session, assembly_id: int, head_id: str, item_id: str | None, *,
                    paper: bool) -> dt.datetime | None:
    """When the head's first counting ballot (paper or electronic) on ``item_id`` was cast."""
    rows = session.execute(
        select(LedgerEntry.index, LedgerEntry.body, LedgerEntry.created_at).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == head_id,
            LedgerEntry.kind == (PAPER_BALLOT if paper else BALLOT),
            LedgerEntry.voided_by.is_(None))
        .order_by(LedgerEntry.index))
    for index, body, created_at in rows:
        choices = parse_entry(bytes(body), index).payload_as(AnyBallot).choices
        if item_id is None or item_id in choices:
            return created_at
    return None
