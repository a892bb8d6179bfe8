"""Storage for assemblies, their items, documents and proxies.

Ballots are not stored here: the ledger (``ledger.store.models``: entries of kind
``ballot`` and ``paper_ballot``, indexed by head and ballot number) is the only
record of what was cast, and nothing links a ballot to an owner's identity.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ownervote.db import Base, UTCDateTime, utcnow


class Assembly(Base):
    __tablename__ = "assembly"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    scope_buildings: Mapped[list | None] = mapped_column(JSON, nullable=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    notice_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    roster_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_version.id"), nullable=True
    )
    roster_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    objection_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # the final announcement (a result.final entry), after the objection period
    final_announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(),
                                                                   nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[Item]] = relationship(
        back_populates="assembly", order_by="Item.position", cascade="all, delete-orphan"
    )


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("assembly_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    matter: Mapped[int] = mapped_column(Integer)  # 1..9, Civil Code art. 278
    kind: Mapped[str] = mapped_column(String(20), default="motion")  # motion|election
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    candidates: Mapped[list | None] = mapped_column(JSON, nullable=True)
    scope_buildings: Mapped[list | None] = mapped_column(JSON, nullable=True)

    assembly: Mapped[Assembly] = relationship(back_populates="items")


class Document(Base):
    __tablename__ = "assembly_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Proxy(Base):
    __tablename__ = "proxy"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    head_id: Mapped[str] = mapped_column(String(64))
    agent_ref: Mapped[str] = mapped_column(String(64))  # pseudonymous agent id (keyed hash)
    agent_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entry_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
