"""Storage for the per-assembly append-only logs.

``log_head`` is the one row a writer locks to append (single sequencer per
log); ``tree_node`` keeps the hash of every complete subtree so that appends
and proofs cost O(log n) reads; ``checkpoint`` and ``cosignature`` keep the
signed tree heads and the witnesses' cosignatures.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ownervote.db import Base, UTCDateTime, utcnow


class LogHead(Base):
    __tablename__ = "log_head"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, default=0)
    root: Mapped[bytes] = mapped_column(LargeBinary)
    last_entry_hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("assembly_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # canonical encoding, signed as-is
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


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


class Cosignature(Base):
    __tablename__ = "cosignature"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id"), index=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("witness.id"))
    timestamp: Mapped[int] = mapped_column(Integer)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
