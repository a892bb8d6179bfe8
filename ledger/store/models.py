"""Storage for the per-assembly append-only logs.

``log_head`` is the one row a writer locks to append (single sequencer per
log); ``tree_node`` keeps the hash of every complete subtree so that appends
and proofs cost O(log n) reads; ``checkpoint`` and ``cosignature`` keep the
signed tree heads and the witnesses' cosignatures.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ownervote.db import Base, UTCDateTime, utcnow


class LogHead(Base):
    __tablename__ = "log_head"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, default=0)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    last_entry_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # the log key (C2SP vkey) that signs this log's attestations and checkpoints
    log_vkey: Mapped[str] = mapped_column(String(300))
    # voting window from the published entry, Unix milliseconds
    opens_at_ms: Mapped[int] = mapped_column(BigInteger)
    closes_at_ms: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_time_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    # the hashes of the tree's peaks (treemath.peaks(size), 32 bytes each), which the next
    # append folds; written with size and root, so taking the lock reads them too (NULL:
    # a log written before they were kept — read the nodes)
    peaks: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class LedgerEntry(Base):
    """One entry; ``body`` holds its exact bytes.  The other columns index it."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("assembly_id", "index"),
        Index("ix_ledger_entry_head", "assembly_id", "head_id"),
        Index("ix_ledger_entry_agent", "assembly_id", "agent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # canonical encoding, signed as-is
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary)
    head_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # per-head ballot number
    voided_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # index of the void
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


#: ``ledger_key.kind`` of a voter's device key (enrolled by a ``key.enrolled`` entry)
VOTER_KEY = "voter"
#: ``ledger_key.kind`` of a committee member's key (enrolled by ``official.enrolled``)
OFFICIAL_KEY = "official"
KEY_KINDS = (VOTER_KEY, OFFICIAL_KEY)


class LedgerKey(Base):
    """A key enrolled in a log: a voter's device key or a committee member's key."""

    __tablename__ = "ledger_key"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex of spki
    kind: Mapped[str] = mapped_column(String(20))  # one of KEY_KINDS
    spki: Mapped[bytes] = mapped_column(LargeBinary)
    head_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role: Mapped[str] = mapped_column(String(20))  # owner|proxy|committee
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    voter: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entry_index: Mapped[int] = mapped_column(Integer)
    revoked_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TreeNode(Base):
    """Hash of the complete subtree covering leaves [index*2^level, (index+1)*2^level)."""

    __tablename__ = "tree_node"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class Checkpoint(Base):
    __tablename__ = "checkpoint"
    __table_args__ = (UniqueConstraint("assembly_id", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)  # C2SP signed note, as served
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Witness(Base):
    __tablename__ = "witness"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # raw Ed25519, 32 bytes
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WitnessSubmission(Base):
    """The log's view of one witness for one log: the size the witness last cosigned
    (the ``old`` of the next request), and when to ask it next, with the back-off
    after failures (:mod:`ownervote.services.witnessing`)."""

    __tablename__ = "witness_submission"
    __table_args__ = (UniqueConstraint("witness_id", "assembly_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("witness.id"))
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    known_size: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Cosignature(Base):
    __tablename__ = "cosignature"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id"), index=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("witness.id"))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrusteeDocument(Base):
    """A trustee's signed document of a secret assembly's key ceremony, accepted before
    the notice (:mod:`ledger.store.trustees`): the notice writes them into the log, in
    ``id`` order, right after entry 0 (docs/audit-bundle.md §5.2).  Public, like the
    entries they become; ``body`` is the canonical envelope, ``digest`` its SHA-256."""

    __tablename__ = "trustee_document"
    __table_args__ = (UniqueConstraint("assembly_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    trustee: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
