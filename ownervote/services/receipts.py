"""Finding a ballot by its tracker code, with what a browser needs to check it itself.

A tracker code (100 bits of the entry hash) finds the ballot; :func:`lookup` answers
with the entry's bytes, an inclusion proof into the newest signed checkpoint and, on
request, a consistency proof from the checkpoint of an earlier size (the one a receipt
holds), so the owner's browser can check, without trusting this server, that the entry
is in the log the log key signed.  Everything here only reads.

What a lookup shows depends on who asks (:class:`Found`): anyone learns that the ballot
is in the log, with its entry hash, inclusion proof and checkpoint — never its choices,
its head, nor whether a later ballot replaced it or the committee voided it.  Only the
owner who votes for the ballot's head (their own signed-in session, ``viewer``) gets the
entry's bytes, choices and which items it counts for.  Otherwise anyone shown a tracker
code — a vote buyer, a boss — could watch whether the owner revoted, which would defeat
"revote privately until close" (SECURITY.md §4); after the close it would let a buyer
check the final vote, so the anonymous answer stays the same then too (the audit bundle,
for those who may read it, is where counted ballots are audited).

Refusals are :class:`LookupRefused` with a :class:`LookupRefusal` code; an assembly an
owner may not see is :class:`~ownervote.services.errors.NotFound`.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from ledger.entries import parse_entry
from ledger.kinds import BALLOT, PAPER_BALLOT
from ledger.note import parse_note
from ledger.payloads import AnyBallot
from ledger.receipts import tracker_code
from ledger.store import logstore
from ledger.store.checkpoints import cosigned_note, latest
from ledger.store.models import LedgerEntry
from ownervote.services import owner_assemblies, owner_heads
from ownervote.services.errors import ServiceError


class LookupRefusal(StrEnum):
    """Why a lookup found nothing to show (no params)."""

    NO_CHECKPOINT = "no_checkpoint"  # the log has no signed checkpoint yet
    NO_SUCH_BALLOT = "no_such_ballot"  # no ballot with this tracker (under the checkpoint)
    BAD_FROM = "bad_from"  # the earlier size is not that of an earlier checkpoint


class LookupRefused(ServiceError):
    def __init__(self, code: LookupRefusal) -> None:
        self.code = code
        super().__init__(code.value)


@dataclass(frozen=True)
class Checkpoint:
    """The newest signed checkpoint of a log (cosigned by its witnesses, if any)."""

    origin: str
    log_key: str
    size: int
    root: bytes
    note: str
    signed_at: dt.datetime
    witnesses: tuple[str, ...]


@dataclass(frozen=True)
class Consistency:
    """A consistency proof from the checkpoint of size ``old`` to that of size ``new``."""

    old: int
    new: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class OwnBallot:
    """What only the voter of the ballot's head is shown: the ballot and whether it counts."""

    entry: bytes  # the entry's exact bytes (its payload holds the choices)
    head: str
    seq: int
    choices: dict[str, Any]
    voided: bool
    counts_for: list[str]
    replaced: dict[str, int | None]  # item -> index of the later ballot that counts for it


@dataclass(frozen=True)
class Found:
    """A ballot found by its tracker code, and its proofs (``own``: for its voter only)."""

    tracker: str
    index: int
    kind: str
    entry_hash: bytes
    time_ms: int
    checkpoint: Checkpoint
    inclusion: tuple[bytes, ...]
    consistency: Consistency | None
    own: OwnBallot | None  # None unless the viewer votes for the ballot's head


def checkpoint(session: Session, assembly_id: int) -> Checkpoint:
    """The newest checkpoint of a published assembly's log."""
    owner_assemblies.visible(session, assembly_id)
    head = owner_assemblies.require_log(session, assembly_id)
    row = latest(session, assembly_id)
    if row is None:
        raise LookupRefused(LookupRefusal.NO_CHECKPOINT)
    note = cosigned_note(session, row)
    witnesses = tuple(s.name for s in parse_note(note).signatures[1:])
    return Checkpoint(head.origin, head.log_vkey, row.size, bytes(row.root), note,
                      row.created_at, witnesses)


def consistency(session: Session, assembly_id: int, old: int | None, new: int
                ) -> Consistency | None:
    """The proof that the log of size ``old`` is a prefix of that of size ``new`` (None: no
    ``old`` asked for)."""
    if old is None:
        return None
    if not 0 < old <= new:
        raise LookupRefused(LookupRefusal.BAD_FROM)
    proof = logstore.consistency_proof(session, assembly_id, old, new)
    return Consistency(old, new, tuple(proof))


def find_by_tracker(session: Session, assembly_id: int, tracker: str) -> LedgerEntry | None:
    """The ballot whose entry hash the tracker code (``ABCD-…``) prefixes (100 bits: a range
    scan)."""
    raw = base64.b32decode(tracker.replace("-", "") + "AAAA")[:13]  # 100 bits + 4 zero bits
    low, high = raw, raw[:12] + bytes([raw[12] | 0x0F]) + b"\xff" * 19
    rows = session.scalars(select(LedgerEntry).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
        LedgerEntry.entry_hash >= low, LedgerEntry.entry_hash <= high)).all()
    return next((r for r in rows if tracker_code(bytes(r.entry_hash)) == tracker), None)


def lookup(session: Session, assembly_id: int, tracker: str, *, since: int | None = None,
           viewer: int | None = None, hasher: KeyedHasher | None = None,
           cipher: PiiCipher | None = None) -> Found:
    """The ballot with this (normalised) tracker code, proven into the newest checkpoint
    (and that checkpoint consistent with the one of size ``since``, if given).  ``viewer``
    is the signed-in owner account asking (None: anyone); the ballot itself and whether
    it counts are given only when that account votes for the ballot's head (which
    ``hasher`` and ``cipher`` are needed to work out)."""
    cp = checkpoint(session, assembly_id)
    entry = find_by_tracker(session, assembly_id, tracker)
    if entry is None or entry.index >= cp.size:
        raise LookupRefused(LookupRefusal.NO_SUCH_BALLOT)
    parsed = parse_entry(bytes(entry.body), entry.index)
    ballot = parsed.payload_as(AnyBallot)
    own = None
    if (viewer is not None and hasher is not None and cipher is not None
            and owner_heads.may_vote_for(session, assembly_id, viewer, ballot.head,
                                         hasher=hasher, cipher=cipher)):
        own = _own_ballot(session, assembly_id, entry, ballot)
    proof = logstore.inclusion_proof(session, assembly_id, entry.index, cp.size)
    return Found(
        tracker=tracker, index=entry.index, kind=entry.kind,
        entry_hash=bytes(entry.entry_hash), time_ms=parsed.time, checkpoint=cp,
        inclusion=tuple(proof), consistency=consistency(session, assembly_id, since, cp.size),
        own=own)


def _own_ballot(session: Session, assembly_id: int, entry: LedgerEntry,
                ballot: AnyBallot) -> OwnBallot:
    ballots = owner_heads.own_ballots(session, assembly_id, ballot.head)
    mine = next(b for b in ballots if b["index"] == entry.index)
    replaced: dict[str, int | None] = {}
    for item in ballot.choices:
        if item not in mine["counts_for"]:
            later = [b["index"] for b in ballots if item in b["counts_for"]]
            replaced[item] = later[0] if later else None
    return OwnBallot(entry=bytes(entry.body), head=ballot.head, seq=ballot.seq,
                     choices=ballot.choices_json(), voided=entry.voided_by is not None,
                     counts_for=mine["counts_for"], replaced=replaced)
