"""Signed checkpoints of the stored log, and witnesses' cosignatures.

:func:`issue_checkpoint` signs the current tree head (C2SP tlog-checkpoint)
only after checking it is consistent with the newest checkpoint already
signed, so the log never signs two views that are not one history.  Call it
when voting opens, every few minutes while open (``ownervote assembly
checkpoint``, from cron or a timer) and when voting closes; it signs nothing
new when the log has not grown.

Witnesses (e.g. the street office) are registered once with their
cosignature/v1 verifier key; :func:`add_cosignature` verifies a cosignature
line before storing it, and :func:`cosigned_note` serves the checkpoint with
every stored cosignature appended.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import merkle
from ledger.errors import CosignatureError, InconsistentCheckpoint, LogStateError, ProofError
from ledger.note import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    Note,
    Signature,
    Signer,
    Verifier,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
)
from ledger.store import logstore
from ledger.store.castpath import StoredCheckpoint
from ledger.store.models import Checkpoint as CheckpointRow
from ledger.store.models import Cosignature, Witness


def latest(session: Session, assembly_id: int) -> CheckpointRow | None:
    return session.scalars(
        select(CheckpointRow)
        .where(CheckpointRow.assembly_id == assembly_id)
        .order_by(CheckpointRow.size.desc())
        .limit(1)
    ).first()


def at_size(session: Session, assembly_id: int, size: int) -> CheckpointRow | None:
    return session.scalars(
        select(CheckpointRow).where(
            CheckpointRow.assembly_id == assembly_id, CheckpointRow.size == size
        )
    ).first()


def issue_checkpoint(
    session: Session, assembly_id: int, signer: Signer, now: dt.datetime | None = None
) -> StoredCheckpoint:
    """Sign the current tree head (or return the newest checkpoint if nothing changed).

    Runs under the log's writer lock so no append slips in between reading the
    head and signing it.
    """
    head = logstore.lock_head(session, assembly_id)
    if signer.verifier.vkey != head.log_vkey:
        raise LogStateError("this is not the key of this log")
    prev = logstore.newest_checkpoint(session, assembly_id)
    cp = Checkpoint(head.origin, head.size, bytes(head.root))
    if prev is not None:
        if prev.size == cp.size:
            if bytes(prev.root) != cp.root:
                raise InconsistentCheckpoint(f"size {cp.size} already signed with another root")
            return prev
        if prev.size > cp.size:
            raise InconsistentCheckpoint(f"the log shrank from {prev.size} to {cp.size}")
        proof = logstore.consistency_proof(session, assembly_id, prev.size, cp.size)
        try:
            merkle.verify_consistency(prev.size, cp.size, bytes(prev.root), cp.root, proof)
        except ProofError as exc:
            raise InconsistentCheckpoint(
                f"refusing to sign size {cp.size}: not consistent with the signed size "
                f"{prev.size}: {exc}"
            ) from None
    note = sign_checkpoint(cp, signer)
    return logstore.insert_checkpoint(
        session, assembly_id, cp, note.serialize(), now or dt.datetime.now(dt.UTC)
    )


def add_witness(session: Session, vkey: str) -> Witness:
    """Register a witness by its cosignature/v1 vkey (``name+keyid+base64(0x04||key)``)."""
    v = Verifier.parse(vkey)
    if v.alg != ALG_COSIGNATURE_V1:
        raise CosignatureError("a witness key must be a cosignature/v1 (0x04) key")
    row = session.scalars(select(Witness).where(Witness.name == v.name)).first()
    if row is not None:
        if bytes(row.public_key) != v.public_key:
            raise CosignatureError(f"witness {v.name} is registered with another key")
        return row
    row = Witness(name=v.name, public_key=v.public_key)
    session.add(row)
    session.flush()
    return row


def cosigned_by(session: Session, assembly_id: int, size: int, witness_id: int) -> bool:
    """Whether the witness's cosignature of the checkpoint of ``size`` is stored."""
    return session.scalar(
        select(Cosignature.id)
        .join(CheckpointRow, CheckpointRow.id == Cosignature.checkpoint_id)
        .where(CheckpointRow.assembly_id == assembly_id, CheckpointRow.size == size,
               Cosignature.witness_id == witness_id)) is not None


def witness_verifier(row: Witness) -> Verifier:
    return Verifier(row.name, ALG_COSIGNATURE_V1, bytes(row.public_key))


def add_cosignature(session: Session, assembly_id: int, size: int, cosigned: str) -> Cosignature:
    """Store a witness's cosignature of the checkpoint of ``size``, after verifying it.

    ``cosigned`` is either one signature line (``— name base64``) or the whole
    checkpoint note as returned by the witness; every line by a registered
    witness is verified, and the first new one stored.
    """
    row = at_size(session, assembly_id, size)
    if row is None:
        raise LogStateError(f"assembly {assembly_id} has no checkpoint of size {size}")
    text = parse_note(row.note).text
    if cosigned.startswith("\u2014"):
        sigs = parse_note(text + "\n" + cosigned.rstrip("\n") + "\n").signatures
    else:
        note = parse_note(cosigned)
        if note.text != text:
            raise CosignatureError("the cosigned note is not this checkpoint")
        sigs = note.signatures
    stored = None
    for sig in sigs:
        w = session.scalars(select(Witness).where(Witness.name == sig.name)).first()
        if w is None:
            continue
        timestamp = verify_cosignature(text, sig, witness_verifier(w))
        existing = session.scalars(
            select(Cosignature).where(
                Cosignature.checkpoint_id == row.id, Cosignature.witness_id == w.id
            )
        ).first()
        if existing is None and stored is None:
            stored = Cosignature(
                checkpoint_id=row.id, witness_id=w.id, timestamp=timestamp, signature=sig.signature
            )
            session.add(stored)
    if stored is None:
        raise CosignatureError("no new cosignature by a registered witness")
    session.flush()
    return stored


def cosigned_note(session: Session, row: CheckpointRow | StoredCheckpoint) -> str:
    """The checkpoint note with the log's signature and every stored cosignature."""
    note = parse_note(row.note)
    extra = []
    if logstore.signed_here(session, row):  # just signed under the writer lock: no cosignature yet
        return Note(note.text, note.signatures).serialize()
    for cs, w in session.execute(
        select(Cosignature, Witness)
        .join(Witness, Witness.id == Cosignature.witness_id)
        .where(Cosignature.checkpoint_id == row.id)
        .order_by(Witness.name)
    ):
        v = witness_verifier(w)
        extra.append(Signature(v.name, v.key_id, bytes(cs.signature)))
    return Note(note.text, (*note.signatures, *extra)).serialize()


def witnesses_of(session: Session, assembly_id: int) -> list[Verifier]:
    """Witnesses that cosigned at least one checkpoint of this log."""
    rows = session.scalars(
        select(Witness)
        .join(Cosignature, Cosignature.witness_id == Witness.id)
        .join(CheckpointRow, CheckpointRow.id == Cosignature.checkpoint_id)
        .where(CheckpointRow.assembly_id == assembly_id)
        .distinct()
        .order_by(Witness.name)
    ).all()
    return [witness_verifier(w) for w in rows]
