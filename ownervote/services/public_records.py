"""What the public and auditor pages read: assemblies with a log, checkpoints, receipts.

Read-only: no function here changes anything, so none needs a unit of work.  An
assembly has a public record once its notice is published (its log exists); a draft,
or an id that names nothing, is :class:`~ownervote.services.errors.NotFound`, as is a
checkpoint size that was never signed.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.store.models import Community
from ledger import merkle, timestamps
from ledger.errors import LedgerError
from ledger.kinds import BALLOT, PAPER_BALLOT
from ledger.note import Verifier, open_checkpoint
from ledger.receipts import tracker_code
from ledger.store import checkpoints as stored_checkpoints
from ledger.store import logstore
from ledger.store.models import Checkpoint as CheckpointRow
from ledger.store.models import Cosignature, LedgerEntry, LogHead, Witness
from ownervote.services.errors import NotFound
from voting.store.models import Assembly

#: The statuses of the assemblies listed on the start page.
LISTED_STATUSES = ("noticed", "open", "closed", "tallied", "announced")


@dataclass(frozen=True)
class Record:
    """An assembly whose log exists (it was noticed): what every audit page starts from."""

    assembly: Assembly
    community: Community
    head: LogHead

    @property
    def id(self) -> int:
        return self.assembly.id


def record(session: Session, assembly_id: int) -> Record:
    """The assembly's public record (drafts have none: they have no log)."""
    a = session.get(Assembly, assembly_id)
    if a is None or a.status == "draft":
        raise NotFound("assembly", assembly_id)
    head = session.get(LogHead, assembly_id)
    community = session.get(Community, a.community_id)
    if head is None or community is None:
        raise NotFound("assembly", assembly_id)
    return Record(a, community, head)


def listed_assemblies(session: Session) -> list[Assembly]:
    """The assemblies of the start page, newest first (every status after the notice)."""
    return list(session.scalars(
        select(Assembly).where(Assembly.status.in_(LISTED_STATUSES))
        .order_by(Assembly.id.desc())))


def visible_assemblies(session: Session) -> list[tuple[Assembly, Community]]:
    """Every assembly with a public record and its community, newest first."""
    rows = session.execute(
        select(Assembly, Community)
        .join(Community, Community.id == Assembly.community_id)
        .join(LogHead, LogHead.assembly_id == Assembly.id)
        .where(Assembly.status != "draft")
        .order_by(Assembly.id.desc())
    ).all()
    return [(a, c) for a, c in rows]


# -- checkpoints ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cosigner:
    name: str
    vkey: str
    key_id: str
    signed_at: dt.datetime  # the witness's own timestamp (POSIX seconds in the cosignature)
    received_at: dt.datetime


@dataclass(frozen=True)
class CheckpointView:
    size: int
    signed_at: dt.datetime
    note: str  # the checkpoint with the log's signature and every cosignature, verbatim
    cosigners: tuple[Cosigner, ...]


def checkpoints(session: Session, assembly_id: int,
                newest_first: bool = True) -> list[CheckpointView]:
    """Every signed checkpoint of the log with its cosigners."""
    rows = session.scalars(
        select(CheckpointRow).where(CheckpointRow.assembly_id == assembly_id)
        .order_by(CheckpointRow.size.desc() if newest_first else CheckpointRow.size)
    ).all()
    signers: dict[int, list[Cosigner]] = {}
    for cs, w in session.execute(
        select(Cosignature, Witness)
        .join(Witness, Witness.id == Cosignature.witness_id)
        .where(Cosignature.checkpoint_id.in_([r.id for r in rows]))
        .order_by(Witness.name)
    ):
        v = stored_checkpoints.witness_verifier(w)
        signers.setdefault(cs.checkpoint_id, []).append(Cosigner(
            w.name, v.vkey, v.key_id.hex(), dt.datetime.fromtimestamp(cs.timestamp, dt.UTC),
            cs.created_at))
    return [CheckpointView(r.size, r.created_at, stored_checkpoints.cosigned_note(session, r),
                           tuple(signers.get(r.id, ()))) for r in rows]


def checkpoint_at(session: Session, assembly_id: int, size: int) -> CheckpointRow:
    """The checkpoint of ``size`` (only signed sizes are ever shown)."""
    row = stored_checkpoints.at_size(session, assembly_id, size)
    if row is None:
        raise NotFound("checkpoint", (assembly_id, size))
    return row


def latest_checkpoint(session: Session, assembly_id: int) -> CheckpointRow | None:
    return stored_checkpoints.latest(session, assembly_id)


def checkpoint_note(session: Session, assembly_id: int, size: int | None = None) -> str:
    """The checkpoint of ``size`` (None: the newest) as a signed note with every
    cosignature: what a witness cosigns."""
    row = (latest_checkpoint(session, assembly_id) if size is None
           else checkpoint_at(session, assembly_id, size))
    if row is None:
        raise NotFound("checkpoint", (assembly_id, "latest"))
    return stored_checkpoints.cosigned_note(session, row)


def checkpoint_count(session: Session, assembly_id: int) -> int:
    return session.scalar(select(func.count(CheckpointRow.id))
                          .where(CheckpointRow.assembly_id == assembly_id)) or 0


def cosignature_count(session: Session, assembly_id: int) -> int:
    return session.scalar(
        select(func.count(Cosignature.id))
        .join(CheckpointRow, CheckpointRow.id == Cosignature.checkpoint_id)
        .where(CheckpointRow.assembly_id == assembly_id)) or 0


def witnesses(session: Session) -> list[Witness]:
    """The witnesses an administrator registered, by name."""
    return list(session.scalars(select(Witness).order_by(Witness.name)))


def consistency_proof(session: Session, assembly_id: int, old_size: int,
                      new_size: int) -> list[bytes]:
    """RFC 9162 consistency proof between two sizes (a :class:`LedgerError` if the log
    cannot give one)."""
    return logstore.consistency_proof(session, assembly_id, old_size, new_size)


def entry_time(session: Session, assembly_id: int, index: int) -> dt.datetime:
    """When entry ``index`` was appended (the time the entry itself states)."""
    return timestamps.ms_to_datetime(logstore.read_entry(session, assembly_id, index).time)


# -- receipts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    """A ballot found by its tracker code."""

    index: int
    kind: str  # ballot | paper_ballot
    recorded_at: dt.datetime
    checkpoint_size: int | None  # newest signed checkpoint containing it (proof checked)
    # Never whether it still counts (voided, replaced by a later ballot): a tracker code
    # shown to a vote buyer must not tell them whether the owner revoted (SECURITY.md §4).


def checked_size(note: str, log_vkey: str, index: int, leaf: bytes,
                 proof: list[bytes]) -> int | None:
    """The checkpoint's size if its log signature and the entry's inclusion proof hold."""
    try:
        cp, _note = open_checkpoint(note, Verifier.parse(log_vkey))
        merkle.verify_inclusion(leaf, index, cp.size, proof, cp.root)
    except LedgerError:
        return None
    return cp.size


def receipt(session: Session, assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
    """The ballot whose tracker code is ``tracker`` (``ABCD-EFGH-…``, normalised), read
    from the ledger, its inclusion in the newest checkpoint checked; None if no ballot
    of this log has that code."""
    raw = tracker.replace("-", "")
    prefix = base64.b32decode(raw + "====")[:12]  # 96 of the tracker's 100 bits
    rows = session.execute(
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.entry_hash)
        .where(LedgerEntry.assembly_id == assembly_id,
               LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
               func.substr(LedgerEntry.entry_hash, 1, 12) == prefix)
    ).all()
    match = next((r for r in rows if tracker_code(bytes(r.entry_hash)) == tracker), None)
    if match is None:
        return None
    # to type checkers, Row.index is tuple's method: the column through the row's mapping
    index: int = match._mapping["index"]  # noqa: SLF001 - SQLAlchemy's public API
    row = latest_checkpoint(session, assembly_id)
    size = None
    if row is not None and row.size > index:
        proof = logstore.inclusion_proof(session, assembly_id, index, row.size)
        size = checked_size(row.note, log_vkey, index, bytes(match.entry_hash), proof)
    return Found(index, match.kind, entry_time(session, assembly_id, index), size)
