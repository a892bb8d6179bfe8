"""What the auditor pages read: visible assemblies, their log, checkpoints and cosigners."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import abort, current_app
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from identity.store.models import Community
from ledger import timestamps
from ledger.store import logstore
from ledger.store.checkpoints import cosigned_note, witness_verifier
from ledger.store.models import Checkpoint as CheckpointRow
from ledger.store.models import Cosignature, LogHead, Witness
from voting.store.models import Assembly
from web.database import db


@dataclass(frozen=True)
class Record:
    """An assembly whose log exists (it was noticed): what every audit page starts from."""

    assembly: Assembly
    community: Community
    head: LogHead

    @property
    def id(self) -> int:
        return self.assembly.id


def record_or_404(assembly_id: int) -> Record:
    """The assembly's public record; 404 for drafts and unknown ids (drafts have no log)."""
    a = db().get(Assembly, assembly_id)
    if a is None or a.status == "draft":
        abort(404)
    head = db().get(LogHead, assembly_id)
    community = db().get(Community, a.community_id)
    if head is None or community is None:
        abort(404)
    return Record(a, community, head)


def visible_assemblies() -> list[tuple[Assembly, Community]]:
    rows = db().execute(
        select(Assembly, Community)
        .join(Community, Community.id == Assembly.community_id)
        .join(LogHead, LogHead.assembly_id == Assembly.id)
        .where(Assembly.status != "draft")
        .order_by(Assembly.id.desc())
    ).all()
    return [(a, c) for a, c in rows]


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


def checkpoints(assembly_id: int, newest_first: bool = True) -> list[CheckpointView]:
    rows = db().scalars(
        select(CheckpointRow).where(CheckpointRow.assembly_id == assembly_id)
        .order_by(CheckpointRow.size.desc() if newest_first else CheckpointRow.size)
    ).all()
    signers: dict[int, list[Cosigner]] = {}
    for cs, w in db().execute(
        select(Cosignature, Witness)
        .join(Witness, Witness.id == Cosignature.witness_id)
        .where(Cosignature.checkpoint_id.in_([r.id for r in rows]))
        .order_by(Witness.name)
    ):
        v = witness_verifier(w)
        signers.setdefault(cs.checkpoint_id, []).append(Cosigner(
            w.name, v.vkey, v.key_id.hex(), dt.datetime.fromtimestamp(cs.timestamp, dt.UTC),
            cs.created_at))
    return [CheckpointView(r.size, r.created_at, cosigned_note(db(), r),
                           tuple(signers.get(r.id, ()))) for r in rows]


def checkpoint_row(assembly_id: int, size: int) -> CheckpointRow:
    row = db().scalars(select(CheckpointRow).where(
        CheckpointRow.assembly_id == assembly_id, CheckpointRow.size == size)).first()
    if row is None:
        abort(404)
    return row


def latest_checkpoint(assembly_id: int) -> CheckpointRow | None:
    from ledger.store.checkpoints import latest

    return latest(db(), assembly_id)


def checkpoint_count(assembly_id: int) -> int:
    return db().scalar(select(func.count(CheckpointRow.id))
                       .where(CheckpointRow.assembly_id == assembly_id)) or 0


def cosignature_count(assembly_id: int) -> int:
    return db().scalar(
        select(func.count(Cosignature.id))
        .join(CheckpointRow, CheckpointRow.id == Cosignature.checkpoint_id)
        .where(CheckpointRow.assembly_id == assembly_id)) or 0


def witnesses() -> list[Witness]:
    return list(db().scalars(select(Witness).order_by(Witness.name)))


def entry_time(assembly_id: int, index: int) -> dt.datetime:
    return timestamps.ms_to_datetime(logstore.read_entry(db(), assembly_id, index).time)


def existing_page(path: str) -> str | None:
    """``path`` if some GET route of this application serves it (another area's page)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return None
    return path
