"""Who votes for a head: sole owners, co-owners' representative, and an account's heads.

Co-owners of a unit (共有人) count as one owner and choose one of them to vote
(docs/law.md).  Default rule: **the first co-owner to complete verification votes**
for the unit; the others are told who holds the vote (masked name) and may
not override it — unless the committee records another co-owner with
:func:`record_unit_representative`, which then prevails.  For a head of
several units with the same owner set, a committee record on any of its
units applies to the whole head (the latest record wins).

"First verified" is ``Owner.verified_at``: set once, when an account acting
for that owner is first confirmed, and never moved by a later change of phone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import RepresentativeError
from identity.keyed import KeyedHasher
from identity.store import rosters
from identity.store.freeze import voting_roster
from identity.store.models import (
    Building,
    Community,
    Owner,
    OwnerAccount,
    Ownership,
    RosterVersion,
    StaffUser,
    Unit,
    UnitRepresentative,
)
from ownervote.audit import record
from ownervote.db import utcnow
from voting.settings import DEFAULT_SETTINGS, AssemblySettings


@dataclass(frozen=True)
class VoterDecision:
    """Which owner votes for a unit or head, and why."""

    owner_id: int | None
    basis: str  # sole_owner | committee | first_verified | undecided | developer


def _unit_owners(session: Session, version_id: int, unit_ids: list[int]) -> set[int]:
    return set(session.scalars(select(Ownership.owner_id).where(
        Ownership.roster_version_id == version_id, Ownership.unit_id.in_(unit_ids))))


def voter_for(session: Session, version_id: int, unit_ids: list[int]) -> VoterDecision:
    """The owner who votes for the units ``unit_ids`` (one head) in a roster version."""
    owners = _unit_owners(session, version_id, unit_ids)
    if not owners:
        return VoterDecision(None, "undecided")
    if len(owners) == 1:
        return VoterDecision(next(iter(owners)), "sole_owner")
    chosen = session.scalars(
        select(UnitRepresentative.owner_id).where(
            UnitRepresentative.unit_id.in_(unit_ids), UnitRepresentative.revoked_at.is_(None),
            UnitRepresentative.owner_id.in_(owners))
        .order_by(UnitRepresentative.recorded_at.desc(), UnitRepresentative.id.desc())).first()
    if chosen is not None:
        return VoterDecision(chosen, "committee")
    first = session.execute(
        select(Owner.id).where(Owner.id.in_(owners), Owner.verified_at.is_not(None))
        .order_by(Owner.verified_at, Owner.id)).scalars().first()
    if first is not None:
        return VoterDecision(first, "first_verified")
    return VoterDecision(None, "undecided")


def record_unit_representative(session: Session, *, unit_id: int, owner_id: int,
                               staff: StaffUser, now: dt.datetime | None = None
                               ) -> UnitRepresentative:
    """The committee records which co-owner votes for a unit (replacing an earlier record)."""
    now = now or utcnow()
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise RepresentativeError(f"unit {unit_id} does not exist")
    if staff.role != "committee" or staff.community_id != unit.community_id:
        raise RepresentativeError(f"staff {staff.id} is not on the committee of unit "
                                  f"{unit.label}'s community")
    version = rosters.latest_version(session, unit.community_id)
    if version is None or owner_id not in _unit_owners(session, version.id, [unit_id]):
        raise RepresentativeError(f"owner {owner_id} is not a co-owner of unit {unit.label} in "
                                  "the current roster")
    for old in session.scalars(select(UnitRepresentative).where(
            UnitRepresentative.unit_id == unit_id, UnitRepresentative.revoked_at.is_(None))):
        old.revoked_at = now
    rep = UnitRepresentative(unit_id=unit_id, owner_id=owner_id, recorded_by=staff.id,
                             recorded_at=now)
    session.add(rep)
    session.flush()
    record(session, f"staff:{staff.id}", "coowner.representative", f"unit:{unit_id}",
           owner=owner_id, roster_version=version.version)
    return rep


@dataclass(frozen=True)
class AccountHead:
    """A head an account's owner belongs to, and whether this account casts its vote."""

    head_id: str
    units: tuple[str, ...]  # labels
    area: Decimal
    developer: bool
    may_vote: bool
    voter: VoterDecision


def account_heads(session: Session, account: OwnerAccount, version: RosterVersion,
                  hasher: KeyedHasher,
                  settings: AssemblySettings = DEFAULT_SETTINGS) -> list[AccountHead]:
    """The heads of ``version`` that the account's owner is part of (parking per ``settings``).

    ``may_vote`` is true when this account's owner is the head's voter: the
    sole owner, the committee's chosen co-owner, or the first verified one.
    A revoked account may vote for nothing.
    """
    owner = session.get(Owner, account.owner_id)
    community = session.get(Community, version.community_id)
    assert owner is not None and community is not None
    ref = hasher.roster_owner_ref(community.name, owner.id_hash)
    roster = voting_roster(session, version, hasher, settings)
    unit_ids = {f"{b}-{n}": i for b, n, i in session.execute(
        select(Building.name, Unit.number, Unit.id).join(Unit, Unit.building_id == Building.id)
        .where(Unit.community_id == community.id))}
    out = []
    for head in roster.heads.values():
        members = [roster.units[u] for u in head.unit_ids]
        if not any(ref in u.owners for u in members):
            continue
        voter = voter_for(session, version.id, [unit_ids[u] for u in head.unit_ids])
        if head.developer:
            voter = VoterDecision(owner.id if owner.kind == "organisation" else None, "developer")
        may = account.revoked_at is None and voter.owner_id == owner.id
        out.append(AccountHead(head.head_id, head.unit_ids, head.area, head.developer, may, voter))
    return sorted(out, key=lambda h: h.units)
