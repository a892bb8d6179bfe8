"""Reading and writing roster versions in bulk (one INSERT … VALUES batch per table).

A stored unit carries what the database keeps about it in one version:
areas, status, usage, co-ownership, the keyed hash of its certificate number
and the ID hashes of its owners.  :func:`to_roster_units` turns stored units
into the PII-free :class:`identity.roster.RosterUnit` whose encoding is
digested.  Writes never build one ORM object per row: 100,000 rows must go
in within seconds on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.roster import StoredUnit
from identity.store import bulk
from identity.store.models import (
    Building,
    Community,
    Owner,
    Ownership,
    RosterVersion,
    Unit,
    UnitRecord,
)

CHUNK = bulk.CHUNK


def latest_version(session: Session, community_id: int) -> RosterVersion | None:
    return session.scalars(
        select(RosterVersion).where(RosterVersion.community_id == community_id)
        .order_by(RosterVersion.version.desc()).limit(1)
    ).first()


def load_units(session: Session, version_id: int) -> list[StoredUnit]:
    """Every unit of a roster version with its owners' ID hashes."""
    owners: dict[int, set[str]] = {}
    for unit_id, id_hash in session.execute(
        select(Ownership.unit_id, Owner.id_hash).join(Owner, Owner.id == Ownership.owner_id)
        .where(Ownership.roster_version_id == version_id)
    ):
        owners.setdefault(unit_id, set()).add(id_hash)
    rows = session.execute(
        select(Building.name, Unit.number, UnitRecord.status, UnitRecord.usage,
               UnitRecord.registered_area, UnitRecord.surveyed_area, UnitRecord.contract_area,
               UnitRecord.co_ownership, UnitRecord.certificate_hash, UnitRecord.unit_id)
        .join(Unit, Unit.id == UnitRecord.unit_id).join(Building, Building.id == Unit.building_id)
        .where(UnitRecord.roster_version_id == version_id)
    )
    return [StoredUnit(*r[:9], frozenset(owners.get(r[9], ()))) for r in rows]


def owner_ids(session: Session, id_hashes: Iterable[str]) -> dict[str, int]:
    return bulk.lookup(session, Owner.__table__.c.id_hash, id_hashes, Owner.__table__.c.id)


def _ensure_units(session: Session, community_id: int,
                  labels: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    def buildings() -> dict[str, int]:
        return {name: bid for name, bid in session.execute(
            select(Building.name, Building.id).where(Building.community_id == community_id))}

    def existing() -> dict[tuple[str, str], int]:
        return {(b, n): i for b, n, i in session.execute(
            select(Building.name, Unit.number, Unit.id)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.community_id == community_id))}

    known_b = buildings()
    missing_b = sorted({b for b, _ in labels} - known_b.keys())
    if missing_b:
        bulk.insert_rows(session, Building.__table__,
                         [{"community_id": community_id, "name": b} for b in missing_b])
        known_b = buildings()
    units = existing()
    missing = [k for k in dict.fromkeys(labels) if k not in units]
    if missing:
        bulk.insert_rows(session, Unit.__table__, [
            {"community_id": community_id, "building_id": known_b[b], "number": n}
            for b, n in missing])
        units = existing()
    return units


def write_version(session: Session, community: Community, units: Sequence[StoredUnit], *,
                  digest: str, source: str, summary: dict,
                  progress: Callable[[int], None] | None = None) -> RosterVersion:
    """Store a new roster version (next number) with its records and ownerships.

    Every owner hash in ``units`` must already be an :class:`Owner` row.
    """
    previous = session.scalar(select(func.max(RosterVersion.version))
                              .where(RosterVersion.community_id == community.id))
    version = RosterVersion(community_id=community.id, version=(previous or 0) + 1, digest=digest,
                            source=source, summary=summary)
    session.add(version)
    session.flush()
    unit_ids = _ensure_units(session, community.id, [(u.building, u.number) for u in units])
    ids = owner_ids(session, {h for u in units for h in u.owner_hashes})
    step = 10 * bulk.CHUNK
    for i in range(0, len(units), step):
        chunk = units[i : i + step]
        bulk.insert_rows(session, UnitRecord.__table__, [
            {"roster_version_id": version.id, "unit_id": unit_ids[(u.building, u.number)],
             "status": u.status, "usage": u.usage, "registered_area": u.registered_area,
             "surveyed_area": u.surveyed_area, "contract_area": u.contract_area,
             "certificate_hash": u.certificate_hash, "co_ownership": u.co_ownership}
            for u in chunk])
        bulk.insert_rows(session, Ownership.__table__, [
            {"roster_version_id": version.id, "unit_id": unit_ids[(u.building, u.number)],
             "owner_id": ids[h]} for u in chunk for h in sorted(u.owner_hashes)])
        if progress is not None:
            progress(len(chunk))
    return version
