"""Writing an assembly's audit bundle from the database.

The bundle holds the log up to its newest checkpoint (entries appended after
it are left for the next export), every checkpoint with its cosignatures, the
keys, the assembly definition and roster exactly as committed in entry 0, and
the published result, and ``producer.json`` naming the ownervote version that wrote
it (so an auditor can install exactly that verifier).  The MANIFEST is signed with
the log's key.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import bundle, canonical
from ledger.entries import parse_entry
from ledger.errors import LogStateError
from ledger.kinds import RESULT
from ledger.note import Signer
from ledger.producer import Producer
from ledger.store import logstore
from ledger.store.checkpoints import cosigned_note, latest, witnesses_of
from ledger.store.models import Checkpoint as CheckpointRow
from ledger.store.models import LedgerEntry
from ledger.store.publish import roster_document
from ownervote import __version__
from voting.store.models import Assembly


def export_bundle(session: Session, assembly_id: int, out: Path | str, signer: Signer) -> dict:
    """Write the bundle to ``out``; return a summary (size, checkpoints, result)."""
    head = logstore.get_head(session, assembly_id)
    if signer.verifier.vkey != head.log_vkey:
        raise LogStateError("the bundle must be signed with this log's key")
    newest = latest(session, assembly_id)
    if newest is None:
        raise LogStateError(f"assembly {assembly_id} has no checkpoint yet")
    size = newest.size
    e0 = parse_entry(logstore.entry_bytes(session, assembly_id, 0), 0)
    roster_bytes, _ = roster_document(session, session.get_one(Assembly, assembly_id))
    if hashlib.sha256(roster_bytes).hexdigest() != e0.body["roster_sha256"]:
        raise LogStateError(f"assembly {assembly_id}: the roster changed since publication")
    writer = bundle.BundleWriter(out)
    witnesses = witnesses_of(session, assembly_id)
    writer.add(
        bundle.KEYS,
        canonical.encode({"log": head.log_vkey, "witnesses": [w.vkey for w in witnesses]}),
    )
    writer.add(bundle.ASSEMBLY, canonical.encode(e0.body["assembly"]))
    writer.add(bundle.ROSTER, roster_bytes)
    with writer.open(bundle.ENTRIES) as fh:
        for n, data in enumerate(logstore.iter_entries(session, assembly_id)):
            if n >= size:
                break
            fh.write(data + b"\n")
    rows = session.scalars(
        select(CheckpointRow)
        .where(CheckpointRow.assembly_id == assembly_id)
        .order_by(CheckpointRow.size)
    ).all()
    writer.add(
        bundle.CHECKPOINTS,
        b"".join(canonical.encode({"note": cosigned_note(session, r)}) + b"\n" for r in rows),
    )
    result_row = session.execute(
        select(LedgerEntry.index, LedgerEntry.body).where(
            LedgerEntry.assembly_id == assembly_id,
            LedgerEntry.kind == RESULT,
            LedgerEntry.index < size,
        )
    ).first()
    if result_row is not None:
        # to type checkers, Row.index is tuple's method: the column through the row's mapping
        index: int = result_row._mapping["index"]  # noqa: SLF001 - SQLAlchemy's public API
        result = parse_entry(bytes(result_row.body), index).body["result"]
        writer.add(bundle.RESULT, canonical.encode(result))
    writer.add(bundle.PRODUCER, Producer("ownervote", __version__).encode())
    writer.finish(head.origin, signer)
    return {
        "assembly": assembly_id,
        "origin": head.origin,
        "entries": size,
        "checkpoints": len(rows),
        "witnesses": [w.name for w in witnesses],
        "result": result_row is not None,
        "out": str(out),
    }
