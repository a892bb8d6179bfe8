"""Storage for communities, the registry roster (versioned), owners and accounts.

A roster version is an immutable snapshot of one registry extract: its unit
records (areas with their source, status, usage) and ownerships.  Assemblies
freeze one version.  Personal data never appears here in clear: ID numbers are
keyed hashes, names and phones AES-GCM ciphertexts (see ``identity.pii``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ownervote.db import AreaType, Base, UTCDateTime, utcnow


class Community(Base):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    city: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")  # street office (街道)
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    buildings: Mapped[list[Building]] = relationship(back_populates="community")


class Building(Base):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))

    community: Mapped[Community] = relationship(back_populates="buildings")


class Unit(Base):
    """A unit's lasting identity (building + number); its facts live in UnitRecord."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    number: Mapped[str] = mapped_column(String(50))

    building: Mapped[Building] = relationship()

    @property
    def label(self) -> str:
        return f"{self.building.name}-{self.number}"


class Owner(Base):
    """A person or organisation in the registry, known by a keyed hash of its ID."""

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA-256 hex
    id_type: Mapped[str] = mapped_column(String(20))
    id_masked: Mapped[str] = mapped_column(String(40))  # 3508**********123X
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="person")  # person|organisation|developer
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RosterVersion(Base):
    __tablename__ = "roster_version"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the canonical roster
    source: Mapped[str] = mapped_column(String(100), default="registry")
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    records: Mapped[list[UnitRecord]] = relationship(back_populates="roster_version")
    ownerships: Mapped[list[Ownership]] = relationship(back_populates="roster_version")


class UnitRecord(Base):
    __tablename__ = "unit_record"
    __table_args__ = (UniqueConstraint("roster_version_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_version_id: Mapped[int] = mapped_column(ForeignKey("roster_version.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # registered|delivered|unsold|sold_undelivered
    usage: Mapped[str] = mapped_column(String(20))  # residential|commercial|office|parking|storage
    registered_area: Mapped[Decimal | None] = mapped_column(AreaType(), nullable=True)
    surveyed_area: Mapped[Decimal | None] = mapped_column(AreaType(), nullable=True)
    contract_area: Mapped[Decimal | None] = mapped_column(AreaType(), nullable=True)
    certificate_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    co_ownership: Mapped[str] = mapped_column(String(20), default="sole")  # sole|joint|shares

    roster_version: Mapped[RosterVersion] = relationship(back_populates="records")
    unit: Mapped[Unit] = relationship()


class Ownership(Base):
    __tablename__ = "ownership"
    __table_args__ = (UniqueConstraint("roster_version_id", "unit_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_version_id: Mapped[int] = mapped_column(ForeignKey("roster_version.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)

    roster_version: Mapped[RosterVersion] = relationship(back_populates="ownerships")
    unit: Mapped[Unit] = relationship()
    owner: Mapped[Owner] = relationship()


class StaffUser(Base):
    """Committee members, street-office supervisors, auditors and administrators."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # committee|supervisor|auditor|admin
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), nullable=True)
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    display_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # public key (SPKI DER) a committee member signs paper-ballot entries with
    signing_public_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
