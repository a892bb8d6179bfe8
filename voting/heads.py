"""Units, heads and the roster of an assembly (SPC interpretation arts. 8–9).

A *head* (业主人数 in the law's counting) is one vote in the headcount
dimension, carrying the sum of its units' areas in the area dimension:

* one unit is one head;
* except that **all developer-held units** (建设单位 units that are unsold, or
  sold but not yet delivered) together are ONE head with all their area;
* and units whose recorded **owner sets are identical** (order irrelevant)
  belong to one buyer and are ONE head (the default reading of "one buyer
  owning several units", docs/law.md section 3).

Parking spaces and storage units (车位、摊位) count only when the assembly
says so (``AssemblySettings.count_parking``).  When they do not count they
are left out *entirely*: their area is in no total and they make nobody a
head, so an owner holding only a parking space has no vote; an owner holding
a flat and a parking space is one head with the flat's area.  This mirrors the
law's two dimensions: a space that does not count as exclusive area for the
denominator cannot count as an owner in the headcount either.

Head ids are deterministic and pseudonymous: ``"h-"`` + the first 16 hex
digits of SHA-256 over ``b"ownervote/head/v1\\n"`` + the compact JSON array of
the head's counted unit ids sorted by code point.  They never depend on owner
names or ID numbers, so the audit bundle can publish them; anyone holding the
unit list can recompute them (see :func:`head_id_for`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from json.encoder import encode_basestring as _json_string
from types import MappingProxyType

from voting.areas import AreaSource, Measure, from_hundredths, pick_area, to_hundredths
from voting.errors import AreaError, RosterError
from voting.settings import DEFAULT_SETTINGS, AssemblySettings

HEAD_ID_DOMAIN = b"ownervote/head/v1\n"


class Usage(StrEnum):
    """What a unit is used for, as recorded in the registry."""

    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    OFFICE = "office"
    PARKING = "parking"  # 车位
    STORAGE = "storage"  # 摊位 / storage rooms


#: Usages whose area counts only when ``AssemblySettings.count_parking`` is set.
PARKING_USAGES = frozenset({Usage.PARKING, Usage.STORAGE})


@dataclass(frozen=True, slots=True)
class Unit:
    """One exclusive part (专有部分) with its chosen area and the source of that figure."""

    unit_id: str
    owners: frozenset[str]
    area: Decimal
    area_source: AreaSource = AreaSource.REGISTERED
    building: str | None = None
    usage: Usage = Usage.RESIDENTIAL
    developer_held: bool = False
    hundredths: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f'unit "{self.unit_id}"'
        if not isinstance(self.unit_id, str) or not self.unit_id:
            raise RosterError(f"unit id must be a non-empty string, got {self.unit_id!r}")
        if not isinstance(self.owners, frozenset):
            if isinstance(self.owners, str) or not isinstance(self.owners, Iterable):
                raise RosterError(f"{where}: owners must be a collection of owner ids")
            object.__setattr__(self, "owners", frozenset(self.owners))
        for owner in self.owners:
            if not isinstance(owner, str) or not owner:
                raise RosterError(f"{where}: owner ids must be non-empty strings, got {owner!r}")
        if not self.owners and not self.developer_held:
            raise RosterError(f"{where}: has no owner and is not developer-held")
        try:
            hundredths = to_hundredths(self.area, f"{where}.area")
        except AreaError as exc:
            raise RosterError(str(exc)) from None
        if hundredths <= 0:
            raise RosterError(f"{where}: area {self.area} must be positive")
        object.__setattr__(self, "hundredths", hundredths)
        object.__setattr__(self, "area_source", AreaSource(self.area_source))
        object.__setattr__(self, "usage", Usage(self.usage))
        if self.building is not None and (not isinstance(self.building, str) or not self.building):
            raise RosterError(f"{where}: building must be a non-empty string or None")
        if not isinstance(self.developer_held, bool):
            raise RosterError(f"{where}: developer_held must be a bool")

    @classmethod
    def from_areas(
        cls,
        unit_id: str,
        owners: Iterable[str],
        *,
        registered: Decimal | None = None,
        surveyed: Decimal | None = None,
        contract: Decimal | None = None,
        building: str | None = None,
        usage: Usage | str = Usage.RESIDENTIAL,
        developer_held: bool = False,
    ) -> Unit:
        """Build a unit choosing its area by precedence registered → surveyed → contract."""
        try:
            area, source = pick_area(registered, surveyed, contract, f'unit "{unit_id}"')
        except AreaError as exc:
            raise RosterError(str(exc)) from None
        return cls(
            unit_id,
            frozenset(owners),
            area,
            source,
            building,
            Usage(usage),
            developer_held,
        )


@dataclass(frozen=True, slots=True)
class Head:
    """One owner in the headcount, with the units (and so the area) it holds."""

    head_id: str
    unit_ids: tuple[str, ...]
    hundredths: int
    developer: bool = False

    @property
    def area(self) -> Decimal:
        return from_hundredths(self.hundredths)


def head_id_for(unit_ids: Iterable[str]) -> str:
    """The public, deterministic id of the head holding exactly ``unit_ids``.

    The canonical form is exactly ``json.dumps(sorted(unit_ids),
    ensure_ascii=False, separators=(",", ":"))``, built here string by string
    because this runs once per head.
    """
    canonical = "[" + ",".join(map(_json_string, sorted(unit_ids))) + "]"
    digest = hashlib.sha256(HEAD_ID_DOMAIN + canonical.encode("utf-8")).hexdigest()
    return "h-" + digest[:16]


@dataclass(frozen=True)
class Scope:
    """The heads of one scope (whole assembly or some buildings) with their area in it.

    A head owning units in several buildings has, in a building scope, only
    the area of its units in those buildings (Shanghai 2020 art. 69: that
    building's owners with that building's totals).
    """

    buildings: frozenset[str] | None
    area_of: Mapping[str, int]  # head id -> hundredths inside the scope
    total_hundredths: int

    @property
    def total(self) -> Measure:
        return Measure.of(self.total_hundredths, len(self.area_of))

    def __contains__(self, head_id: object) -> bool:
        return head_id in self.area_of


@dataclass(frozen=True)
class Roster:
    """The counted units of an assembly grouped into heads (read-only mappings).

    ``excluded`` lists units present in the input that do not count in this
    assembly, with the reason (parking not counted, outside the scope).
    ``building_scope`` and ``count_parking`` record the settings it was built
    with, so that a tally under other settings can be refused.
    """

    units: Mapping[str, Unit]
    heads: Mapping[str, Head]
    head_of_unit: Mapping[str, str]
    excluded: Mapping[str, str]
    building_scope: frozenset[str] | None = None
    count_parking: bool = False
    _scopes: dict[frozenset[str] | None, Scope] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def total(self) -> Measure:
        return self.scope(None).total

    def scope(self, buildings: frozenset[str] | None) -> Scope:
        """The heads with area in ``buildings`` (``None``: the whole assembly); cached."""
        cached = self._scopes.get(buildings)
        if cached is not None:
            return cached
        if buildings is None:
            area_of = {head_id: head.hundredths for head_id, head in self.heads.items()}
        else:
            outside = buildings - self.building_scope if self.building_scope else frozenset()
            if outside:
                raise RosterError(
                    f"buildings {sorted(outside)} are outside the assembly's scope "
                    f"{sorted(self.building_scope or ())}"
                )
            area_of = {}
            for unit in self.units.values():
                if unit.building in buildings:
                    head_id = self.head_of_unit[unit.unit_id]
                    area_of[head_id] = area_of.get(head_id, 0) + unit.hundredths
        scope = Scope(buildings, MappingProxyType(area_of), sum(area_of.values()))
        self._scopes[buildings] = scope
        return scope


def build_roster(units: Iterable[Unit], settings: AssemblySettings = DEFAULT_SETTINGS) -> Roster:
    """Group units into heads under ``settings`` (scope, parking).

    Raises :class:`RosterError` on duplicate unit ids, a unit without a
    building when the assembly is limited to some buildings, an empty roster
    or (astronomically unlikely) a head-id collision.
    """
    scope = settings.scope_buildings
    count_parking = settings.count_parking
    counted: dict[str, Unit] = {}
    excluded: dict[str, str] = {}
    groups: dict[object, list[Unit]] = {}
    developer_key = object()
    for unit in units:
        unit_id = unit.unit_id
        if unit_id in counted or unit_id in excluded:
            raise RosterError(f'unit "{unit_id}": listed twice')
        if scope is not None:
            if unit.building is None:
                raise RosterError(
                    f'unit "{unit_id}": has no building but the assembly is limited to '
                    f"buildings {sorted(scope)}"
                )
            if unit.building not in scope:
                excluded[unit_id] = "outside the assembly's buildings"
                continue
        usage = unit.usage
        if (usage is Usage.PARKING or usage is Usage.STORAGE) and not count_parking:
            excluded[unit_id] = f"{usage.value} not counted (count_parking is off)"
            continue
        counted[unit_id] = unit
        key = developer_key if unit.developer_held else unit.owners
        group = groups.get(key)
        if group is None:
            groups[key] = [unit]
        else:
            group.append(unit)
    if not counted:
        raise RosterError("no unit counts in this assembly: nobody could vote")
    heads: dict[str, Head] = {}
    head_of_unit: dict[str, str] = {}
    sha256 = hashlib.sha256
    for key, members in groups.items():
        if len(members) == 1:  # the common case, kept fast: same result as head_id_for
            unit_ids: tuple[str, ...] = (members[0].unit_id,)
            hundredths = members[0].hundredths
            canonical = "[" + _json_string(unit_ids[0]) + "]"
            head_id = "h-" + sha256(HEAD_ID_DOMAIN + canonical.encode()).hexdigest()[:16]
        else:
            unit_ids = tuple(sorted(unit.unit_id for unit in members))
            hundredths = sum(unit.hundredths for unit in members)
            head_id = head_id_for(unit_ids)
        if head_id in heads:  # pragma: no cover - 64-bit collision
            raise RosterError(f"head id collision on {head_id}: units {unit_ids}")
        heads[head_id] = Head(head_id, unit_ids, hundredths, key is developer_key)
        for unit_id in unit_ids:
            head_of_unit[unit_id] = head_id
    ordered = {head_id: heads[head_id] for head_id in sorted(heads)}
    return Roster(
        MappingProxyType(counted),
        MappingProxyType(ordered),
        MappingProxyType(head_of_unit),
        MappingProxyType(excluded),
        scope,
        count_parking,
    )
