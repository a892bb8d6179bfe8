"""Storage for communities, the registry roster (versioned), owners and accounts.

A roster version is an immutable snapshot of one registry extract: its unit
records (areas with their source, status, usage) and ownerships.  Assemblies
freeze one version.  Personal data never appears here in clear: ID numbers are
keyed hashes, names and phones AES-GCM ciphertexts (see ``identity.pii``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
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
    """A person or organisation in the registry, known by a keyed hash of its ID.

    ``name_enc`` is encrypted with purpose ``owner.name:<id_hash>``.  Phone
    numbers belong to the account that acts for the owner (:class:`OwnerAccount`),
    because a guardian's or a legal representative's phone is not the owner's.
    """

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA-256 hex
    id_type: Mapped[str] = mapped_column(String(20))
    id_masked: Mapped[str] = mapped_column(String(40))  # 3508**********123X
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(20), default="person")  # person|organisation
    # when an account acting for this owner was first verified
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RosterVersion(Base):
    __tablename__ = "roster_version"
    __table_args__ = (UniqueConstraint("community_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the canonical roster
    source: Mapped[str] = mapped_column(String(100), default="registry")  # registry|review:<ref>
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    records: Mapped[list[UnitRecord]] = relationship(back_populates="roster_version")
    ownerships: Mapped[list[Ownership]] = relationship(back_populates="roster_version")


class UnitRecord(Base):
    __tablename__ = "unit_record"
    __table_args__ = (UniqueConstraint("roster_version_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # (roster_version_id, unit_id) is the unique key, which also indexes roster_version_id
    roster_version_id: Mapped[int] = mapped_column(ForeignKey("roster_version.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # queried with the version
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
    roster_version_id: Mapped[int] = mapped_column(ForeignKey("roster_version.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # queried with the version
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
    # set when an administrator deactivates the account: it can no longer sign in
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # time step of the last TOTP code accepted: each code signs in once
    last_totp_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class OwnerAccount(Base):
    """A verified person acting for an owner: the owner themself, a guardian or a
    legal person's representative.  Bound to the owner's heads through the roster.

    ``key`` is a random public handle used as associated data for the phone
    ciphertext (purpose ``account.phone:<key>``) and in audit subjects.
    """

    __tablename__ = "owner_account"
    __table_args__ = (UniqueConstraint("owner_id", "holder_id_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)
    holder_kind: Mapped[str] = mapped_column(String(30))  # self|guardian|legal_representative
    holder_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    holder_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    representation_id: Mapped[int | None] = mapped_column(
        ForeignKey("representation.id"), nullable=True
    )
    phone_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # raised by every verification: sign-ins and browser sessions of an older generation
    # are void (the person verifying now pushes out whoever verified before)
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    owner: Mapped[Owner] = relationship()


class Verification(Base):
    """One owner-verification in progress: matched → code sent → confirmed (or expired).

    The browser holds a random token; only its SHA-256 is stored.
    """

    __tablename__ = "verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)
    holder_kind: Mapped[str] = mapped_column(String(30))
    holder_id_hash: Mapped[str] = mapped_column(String(64))
    holder_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    representation_id: Mapped[int | None] = mapped_column(
        ForeignKey("representation.id"), nullable=True
    )
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttemptCounter(Base):
    """Failure counter for throttling, shared by every worker (see ``identity.store.throttle``).

    ``key`` is a keyed hash of what is throttled (a client, a claimed ID, a phone).
    """

    __tablename__ = "attempt_counter"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SmsOutbox(Base):
    """Messages the demo/console SMS backend "sent" (never used by the HTTP backend)."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeviceKey(Base):
    """An account's phone key (ECDSA P-256, SPKI DER); id = SHA-256 hex of the DER."""

    __tablename__ = "device_key"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("owner_account.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ReviewRequest(Base):
    """A committee review of someone the registry does not (yet) show, with evidence.

    Kinds changing the roster: delivered_buyer, heir, court_ruling, developer.
    Kinds adding a representative: guardian, legal_representative.
    """

    __tablename__ = "review_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owner.id"), nullable=True)
    person_id_type: Mapped[str] = mapped_column(String(20))
    person_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    person_id_masked: Mapped[str] = mapped_column(String(40))
    person_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    submitted_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    roster_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_version.id"), nullable=True
    )

    decisions: Mapped[list[ReviewDecision]] = relationship(order_by="ReviewDecision.id")
    evidence: Mapped[list[ReviewEvidence]] = relationship(order_by="ReviewEvidence.id")


class ReviewDecision(Base):
    __tablename__ = "review_decision"
    __table_args__ = (UniqueConstraint("request_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_request.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    decision: Mapped[str] = mapped_column(String(10))  # approve|reject
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewEvidence(Base):
    """An evidence file: identified by the SHA-256 of its content, stored encrypted."""

    __tablename__ = "review_evidence"
    __table_args__ = (UniqueConstraint("request_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_request.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    filename_enc: Mapped[bytes] = mapped_column(LargeBinary)
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)
    added_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Representation(Base):
    """A guardian of an owner without full capacity, or a legal person's representative,
    recorded by an approved review.  Does not change the roster (heads stay the owner's)."""

    __tablename__ = "representation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # guardian|legal_representative
    person_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    person_id_masked: Mapped[str] = mapped_column(String(40))
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    review_id: Mapped[int] = mapped_column(ForeignKey("review_request.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class UnitRepresentative(Base):
    """The co-owner the committee recorded as voting for a co-owned unit (overrides the
    default "first verified co-owner votes")."""

    __tablename__ = "unit_representative"
    __table_args__ = (Index("ix_unit_representative_active", "unit_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
