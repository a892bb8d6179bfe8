"""The live figures: who took part, per item and per building, and who has not voted yet.

Everything is computed from the published roster and the ballots that count
in the log (``ledger.store.writer.counted_votes``) — the same inputs the tally and
the offline verifier use — never from a separate index that could drift.  Read only:
no unit of work.  The dashboard, the non-voters list, the reminders and the
announcement's list of voting units use them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.masking import mask_name
from identity.pii import PiiCipher, owner_name_purpose
from identity.store.models import Building, Owner, OwnerAccount, Ownership, Unit
from ledger.store import writer
from ledger.store.publish import published
from ledger.store.sales import sales_now
from voting.areas import from_hundredths
from voting.heads import Roster
from voting.store.models import Assembly


@dataclass(frozen=True)
class Part:
    """Who took part out of how many: (area in hundredths, heads) each."""

    area: int
    heads: int
    total_area: int
    total_heads: int

    @property
    def area_share(self) -> Fraction:
        return Fraction(self.area, self.total_area) if self.total_area else Fraction(0)

    @property
    def heads_share(self) -> Fraction:
        return Fraction(self.heads, self.total_heads) if self.total_heads else Fraction(0)

    @property
    def area_dec(self) -> Decimal:
        return from_hundredths(self.area)

    @property
    def total_area_dec(self) -> Decimal:
        return from_hundredths(self.total_area)

    @property
    def quorum_met(self) -> bool:
        return 3 * self.area >= 2 * self.total_area and 3 * self.heads >= 2 * self.total_heads


@dataclass(frozen=True)
class Snapshot:
    roster: Roster  # after the units sold out of multi-unit heads (voting.sales)
    items: dict  # item id -> voting Item
    votes: dict  # (head, item id) -> vote
    item_rosters: dict = field(default_factory=dict)  # item id -> its roster, after sales

    @property
    def voted(self) -> set[str]:
        return {head for head, _item in self.votes}


def snapshot(session: Session, assembly_id: int) -> Snapshot:
    """The published roster, items and counted ballots of a published assembly, now."""
    adef, roster = published(session, assembly_id)
    votes = writer.counted_votes(session, assembly_id)
    sales = sales_now(session, assembly_id)
    if sales is None:
        return Snapshot(roster, adef.items, votes)
    return Snapshot(sales.roster, adef.items, votes, sales.item_rosters(adef.items))


def item_parts(s: Snapshot) -> dict[str, Part]:
    out = {}
    for item_id, item in s.items.items():
        scope = s.item_rosters.get(item_id, s.roster).scope(item.buildings)
        area = heads = 0
        for head_id, hundredths in scope.area_of.items():
            if (head_id, item_id) in s.votes:
                area += hundredths
                heads += 1
        out[item_id] = Part(area, heads, scope.total_hundredths, len(scope.area_of))
    return out


def overall_part(s: Snapshot) -> Part:
    voted = s.voted
    area = sum(h.hundredths for h in s.roster.heads.values() if h.head_id in voted)
    return Part(area, len(voted & set(s.roster.heads)), s.roster.total.hundredths,
                len(s.roster.heads))


def building_parts(s: Snapshot) -> list[tuple[str, Part]]:
    """Per building: owners with a unit there who took part on at least one item."""
    voted = s.voted
    per: dict[str, dict[str, int]] = defaultdict(dict)
    for unit in s.roster.units.values():
        head = s.roster.head_of_unit[unit.unit_id]
        per[unit.building or ""][head] = per[unit.building or ""].get(head, 0) + unit.hundredths
    rows = []
    for building, area_of in per.items():
        took = [h for h in area_of if h in voted]
        rows.append((building, Part(sum(area_of[h] for h in took), len(took),
                                    sum(area_of.values()), len(area_of))))
    return sorted(rows, key=lambda r: _natural(r[0]))


def _natural(name: str) -> tuple:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 10**9, name)


def head_units(s: Snapshot, head_id: str) -> list[tuple[str, Decimal]]:
    head = s.roster.heads[head_id]
    return [(u, s.roster.units[u].area) for u in head.unit_ids]


def voter_units(s: Snapshot) -> list[tuple[str, Decimal]]:
    """Unit label and area of every unit a counted ballot speaks for (the announcement's
    list): the units of the ballot's head on the roster its item is counted on, so a unit
    sold during the vote is listed for the seller's ballot cast before the sale, which
    stands for it (docs/rules.md §7.7), though the seller no longer holds it."""
    units: dict[str, Decimal] = {}
    for head_id, item_id in s.votes:
        roster = s.item_rosters.get(item_id, s.roster)
        head = roster.heads.get(head_id)
        for unit in head.unit_ids if head is not None else ():
            units[unit] = roster.units[unit].area
    return sorted(units.items(), key=lambda p: _unit_key(p[0]))


def _unit_key(label: str) -> tuple:
    building, _, number = label.partition("-")
    return (_natural(building), _natural(number))


@dataclass(frozen=True)
class Owed:
    """An owner (head) who has not voted yet, as the committee sees them."""

    head_id: str
    units: list[tuple[str, Decimal]]
    names: list[str]  # masked
    owner_ids: list[int]
    developer: bool


def non_voters(session: Session, a: Assembly, s: Snapshot, building: str | None = None, *,
               cipher: PiiCipher) -> list[Owed]:
    """The owners (heads) who have not voted yet, in ``building`` if given."""
    owners = unit_owners(session, a, cipher=cipher)
    voted = s.voted
    out = []
    for head in s.roster.heads.values():
        if head.head_id in voted:
            continue
        units = head_units(s, head.head_id)
        if building and not any(u.partition("-")[0] == building for u, _ in units):
            continue
        names: list[str] = []
        ids: list[int] = []
        for label, _area in units:
            for owner_id, name in owners.get(label, ()):
                if owner_id not in ids:
                    ids.append(owner_id)
                    names.append(name)
        out.append(Owed(head.head_id, units, names, ids, head.developer))
    return sorted(out, key=lambda o: _unit_key(o.units[0][0]))


def unit_owners(session: Session, a: Assembly, *,
                cipher: PiiCipher) -> dict[str, list[tuple[int, str]]]:
    """Unit label -> [(owner id, masked name)] in the assembly's frozen roster."""
    rows = session.execute(
        select(Building.name, Unit.number, Owner.id, Owner.id_hash, Owner.name_enc)
        .join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .join(Owner, Owner.id == Ownership.owner_id)
        .where(Ownership.roster_version_id == a.roster_version_id))
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for building, number, owner_id, id_hash, name_enc in rows:
        name = cipher.decrypt_text(name_enc, purpose=owner_name_purpose(id_hash))
        out[f"{building}-{number}"].append((owner_id, mask_name(name)))
    return out


def accounts_of(session: Session, owner_ids: list[int]) -> list[OwnerAccount]:
    """The owners' accounts in force (each with a verified phone)."""
    if not owner_ids:
        return []
    return list(session.scalars(select(OwnerAccount).where(
        OwnerAccount.owner_id.in_(owner_ids), OwnerAccount.revoked_at.is_(None))))


def reachable(session: Session, owed: list[Owed]) -> dict[str, int]:
    """Head id -> how many verified phones a reminder to that owner would reach."""
    return {o.head_id: len(accounts_of(session, o.owner_ids)) for o in owed}
