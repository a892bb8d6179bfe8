"""The roster: PII-free unit records of one community, its canonical encoding and digest.

A roster is what an assembly counts: every unit with its areas (and which
source the counted figure comes from), status, usage, co-ownership and the
pseudonymous references of its owners.  It contains no name, ID number,
phone or certificate number.

Canonical encoding (``ownervote-roster/1``), UTF-8::

    ownervote-roster/1\\n
    <one line per unit, sorted by (building, unit) in Unicode code-point order>

where each unit line is the compact JSON array (``separators=(",", ":")``,
``ensure_ascii=False``, then ``\\n``)::

    [building, unit, status, usage, registered_area, surveyed_area, contract_area,
     co_ownership, [owner_ref, ...]]

* areas are strings with exactly two decimals (``"89.30"``) or ``null``;
* status ∈ registered, delivered, unsold, sold_undelivered; usage ∈
  residential, commercial, office, parking, storage; co_ownership ∈ sole,
  joint, shares;
* owner refs are sorted; each is the first 32 hex digits of
  HMAC-SHA-256(id_hash_key, "ownervote/roster-owner/v1" 0x00 community 0x00 id_hash)
  — stable within a community across versions, unlinkable across communities.

The digest is the lowercase hex SHA-256 of these bytes.  The ledger commits it
when an assembly is noticed; anyone holding the published roster re-hashes it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, TypedDict, Unpack

from identity import vocab
from identity.keyed import KeyedHasher
from voting.areas import Measure, format_area, from_hundredths, pick_area
from voting.errors import RosterError as VotingRosterError
from voting.heads import Unit as VotingUnit
from voting.heads import build_roster
from voting.settings import DEFAULT_SETTINGS, AssemblySettings

ENCODING_HEADER = b"ownervote-roster/1\n"
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class RosterUnit(NamedTuple):
    """One unit of a roster (a named tuple: rosters have up to ~100,000 of them)."""

    building: str
    number: str
    status: str
    usage: str
    registered_area: Decimal | None
    surveyed_area: Decimal | None
    contract_area: Decimal | None
    co_ownership: str
    owners: frozenset[str]  # owner refs (pseudonyms), never ID hashes

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"

    @property
    def developer_held(self) -> bool:
        return self.status in vocab.DEVELOPER_STATUSES

    def area(self) -> tuple[Decimal, str]:
        area, source = pick_area(self.registered_area, self.surveyed_area, self.contract_area,
                                 f"unit {self.label}")
        return area, source.value

    def canonical(self) -> list[object]:
        def a(v: Decimal | None) -> str | None:
            return None if v is None else format_area(v)

        return [self.building, self.number, self.status, self.usage, a(self.registered_area),
                a(self.surveyed_area), a(self.contract_area), self.co_ownership,
                sorted(self.owners)]

    def to_voting(self) -> VotingUnit:
        """This unit as the rules engine's :class:`voting.heads.Unit` (unit id = label)."""
        return VotingUnit.from_areas(
            self.label, self.owners, registered=self.registered_area,
            surveyed=self.surveyed_area, contract=self.contract_area, building=self.building,
            usage=self.usage, developer_held=self.developer_held)


def sort_key(unit: RosterUnit) -> tuple[str, str]:
    return (unit.building, unit.number)


def encode(units: Iterable[RosterUnit]) -> bytes:
    """The canonical ``ownervote-roster/1`` encoding (see the module docstring)."""
    lines = [ENCODING_HEADER]
    for unit in sorted(units, key=sort_key):
        lines.append(_JSON.encode(unit.canonical()).encode("utf-8") + b"\n")
    return b"".join(lines)


def digest(units: Iterable[RosterUnit]) -> str:
    return hashlib.sha256(encode(units)).hexdigest()


def decode(data: bytes) -> list[RosterUnit]:
    """Parse a canonical encoding back (for verifiers and tests); strict."""
    if not data.startswith(ENCODING_HEADER):
        raise ValueError("not an ownervote-roster/1 encoding")
    units = []
    for raw in data[len(ENCODING_HEADER):].split(b"\n")[:-1]:
        b, n, st, us, reg, sur, con, co, owners = json.loads(raw)
        reg, sur, con = (None if x is None else Decimal(x) for x in (reg, sur, con))
        units.append(RosterUnit(b, n, st, us, reg, sur, con, co, frozenset(owners)))
    if encode(units) != data:
        raise ValueError("encoding is not canonical")
    return units


def voting_units(units: Iterable[RosterUnit]) -> list[VotingUnit]:
    return [u.to_voting() for u in sorted(units, key=sort_key)]


@dataclass(frozen=True)
class RosterSummary:
    """Totals of a roster: what the import reports and what a committee checks by hand.

    ``heads`` and ``counted_area`` follow the rules engine under the default
    assembly settings (parking and storage not counted); ``heads_with_parking``
    counts them.  ``total_area`` sums every unit's area (registered → surveyed
    → contract).
    """

    units: int
    owners: int
    heads: int
    counted_area: Decimal
    heads_with_parking: int
    total_area: Decimal
    by_status: dict[str, int]
    by_usage: dict[str, int]
    by_area_source: dict[str, int]
    co_owned_units: int
    developer_units: int

    def to_json(self) -> dict[str, object]:
        return {
            "units": self.units,
            "owners": self.owners,
            "heads": self.heads,
            "counted_area": format_area(self.counted_area),
            "heads_with_parking": self.heads_with_parking,
            "total_area": format_area(self.total_area),
            "by_status": dict(sorted(self.by_status.items())),
            "by_usage": dict(sorted(self.by_usage.items())),
            "by_area_source": dict(sorted(self.by_area_source.items())),
            "co_owned_units": self.co_owned_units,
            "developer_units": self.developer_units,
        }


def summarise(units: Sequence[RosterUnit],
              settings: AssemblySettings = DEFAULT_SETTINGS) -> RosterSummary:
    vunits = voting_units(units)
    default = _heads(vunits, settings)
    parking = any(u.usage in ("parking", "storage") for u in units)
    with_parking = _heads(vunits, _with_parking(settings)) if parking and not \
        settings.count_parking else default
    sources = Counter(v.area_source.value for v in vunits)
    total = from_hundredths(sum(v.hundredths for v in vunits))
    return RosterSummary(
        units=len(units),
        owners=len({o for u in units for o in u.owners}),
        heads=default.heads,
        counted_area=default.area,
        heads_with_parking=with_parking.heads,
        total_area=total,
        by_status=dict(Counter(u.status for u in units)),
        by_usage=dict(Counter(u.usage for u in units)),
        by_area_source=dict(sources),
        co_owned_units=sum(1 for u in units if len(u.owners) > 1),
        developer_units=sum(1 for u in units if u.developer_held),
    )


def _heads(vunits: list[VotingUnit], settings: AssemblySettings) -> Measure:
    try:
        return build_roster(vunits, settings).total
    except VotingRosterError:  # nothing counts (e.g. only parking spaces): nobody votes
        return Measure(Decimal("0.00"), 0)


def _with_parking(settings: AssemblySettings) -> AssemblySettings:
    from dataclasses import replace

    return replace(settings, count_parking=True)


class UnitChanges(TypedDict, total=False):
    """What :meth:`StoredUnit.with_owners` may change besides the owners."""

    status: str
    co_ownership: str


class StoredUnit(NamedTuple):
    """A unit as stored in one roster version (named tuple, for speed)."""

    building: str
    number: str
    status: str
    usage: str
    registered_area: Decimal | None
    surveyed_area: Decimal | None
    contract_area: Decimal | None
    co_ownership: str
    certificate_hash: str | None
    owner_hashes: frozenset[str]  # Owner.id_hash of each owner

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"

    def with_owners(self, owner_hashes: Iterable[str],
                    **changes: Unpack[UnitChanges]) -> StoredUnit:
        return self._replace(owner_hashes=frozenset(owner_hashes), **changes)


def to_roster_units(units: Iterable[StoredUnit], community: str,
                    hasher: KeyedHasher) -> list[RosterUnit]:
    ref: dict[str, str] = {}

    def owner_ref(id_hash: str) -> str:
        r = ref.get(id_hash)
        if r is None:
            r = ref[id_hash] = hasher.roster_owner_ref(community, id_hash)
        return r

    return [RosterUnit(u.building, u.number, u.status, u.usage, u.registered_area,
                       u.surveyed_area, u.contract_area, u.co_ownership,
                       frozenset(owner_ref(h) for h in u.owner_hashes)) for u in units]
