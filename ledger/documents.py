"""The assembly definition and the roster as published: canonical documents and
their conversion to the voting package's objects.

* Assembly definition (in the ``assembly.published`` entry)::

    {"id": 7, "title": "...", "description": "...", "community": "...",
     "notice_at": ms|null, "opens_at": ms, "closes_at": ms,
     "settings": {AssemblySettings.to_dict()},
     "items": [{"id": "1", "title": "...", "description": "...", "kind": "motion",
                "matter": 4, "buildings": null|[...], "candidates": null|[...],
                "seats": null|int}, ...]}

* Roster (bundle member ``roster.json``, committed by ``roster_sha256``)::

    {"v": 1, "community": "...", "roster_version": 3, "registry_digest": "<hex>",
     "units": [{"id": "1幢-101", "building": "1幢", "usage": "residential",
                "status": "registered", "area": "89.37", "area_source": "registered",
                "developer_held": false, "head": "h-..."|null}, ...]}

  Units are sorted by ``id``.  ``head`` is the pseudonymous head id (voting's
  ``head_id_for``) or ``null`` for a unit that does not count in this assembly.
  No owner identity appears: the grouping is exported, never the owners.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger import canonical
from ledger.errors import EncodingError
from voting.areas import AreaSource, format_area, parse_area
from voting.ballots import Approval, Choice, Sealed, Vote
from voting.election import election_rule_problem
from voting.errors import VotingError
from voting.heads import Roster, Unit, build_roster
from voting.items import Item, index_items
from voting.matters import Matter
from voting.settings import AssemblySettings

ROSTER_VERSION = 1
ROSTER_KEYS = frozenset({"v", "community", "registry_digest", "roster_version", "units"})


def _int(value: Any) -> bool:
    """A JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class AssemblyDef:
    doc: dict[str, Any]
    settings: AssemblySettings
    items: dict[str, Item]
    opens_at: int
    closes_at: int


def parse_assembly(doc: Any) -> AssemblyDef:
    """Validate the published assembly definition and build voting objects from it."""
    if not isinstance(doc, dict):
        raise EncodingError("assembly must be an object")
    need = {
        "id",
        "title",
        "description",
        "community",
        "notice_at",
        "opens_at",
        "closes_at",
        "settings",
        "items",
    }
    if set(doc) != need:
        raise EncodingError(f"assembly keys must be {sorted(need)}")
    opens, closes = doc["opens_at"], doc["closes_at"]
    if not (_int(opens) and _int(closes) and 0 <= opens < closes):
        raise EncodingError("opens_at/closes_at must be Unix ms with opens_at < closes_at")
    if not (_int(doc["id"]) and doc["id"] >= 1):
        raise EncodingError("assembly id must be a positive integer")
    if doc["notice_at"] is not None and not (_int(doc["notice_at"]) and doc["notice_at"] >= 0):
        raise EncodingError("notice_at must be Unix ms or null")
    for name in ("title", "description", "community"):
        if not isinstance(doc[name], str):
            raise EncodingError(f"assembly {name} must be a string")
    if not isinstance(doc["items"], list):
        raise EncodingError("assembly items must be a list")
    try:
        settings = AssemblySettings.from_dict(doc["settings"], "assembly.settings")
        items = []
        for i, it in enumerate(doc["items"]):
            keys = {
                "id",
                "title",
                "description",
                "kind",
                "matter",
                "buildings",
                "candidates",
                "seats",
            }
            if not isinstance(it, dict) or set(it) != keys:
                raise EncodingError(f"items[{i}] keys must be {sorted(keys)}")
            for name in ("title", "description"):
                if not isinstance(it[name], str):
                    raise EncodingError(f"items[{i}].{name} must be a string")
            if it["kind"] == "election":
                # an election is matter 3, within the assembly's election settings
                if it["matter"] != Matter.COMMITTEE or isinstance(it["matter"], bool):
                    raise EncodingError(f"items[{i}]: an election is matter 3, not "
                                        f"{it['matter']!r}")
                if not isinstance(it["candidates"], list):
                    raise EncodingError(f"items[{i}].candidates must be a list")
                problem = election_rule_problem(it["seats"], len(it["candidates"]), settings)
                if problem is not None:
                    raise EncodingError(f"items[{i}]: {problem.value} (committee_size "
                                        f"{settings.committee_size}, competitive_elections "
                                        f"{str(settings.competitive_elections).lower()})")
                items.append(
                    Item.election(it["id"], it["candidates"], it["seats"], it["buildings"])
                )
            elif it["kind"] == "motion":
                if it["candidates"] is not None or it["seats"] is not None:
                    raise EncodingError(f"items[{i}]: a motion has no candidates or seats")
                items.append(Item.motion(it["id"], it["matter"], it["buildings"]))
            else:
                raise EncodingError(f"items[{i}]: kind must be motion or election")
        indexed = index_items(items)
    except (VotingError, TypeError) as exc:
        raise EncodingError(f"assembly: {exc}") from None
    return AssemblyDef(doc, settings, indexed, opens, closes)


def item_doc(
    item_id: str,
    title: str,
    description: str,
    kind: str,
    matter: int,
    buildings: Iterable[str] | None,
    candidates: Iterable[str] | None,
    seats: int | None,
) -> dict[str, Any]:
    return {
        "id": item_id,
        "title": title,
        "description": description,
        "kind": kind,
        "matter": matter,
        "buildings": None if buildings is None else sorted(buildings),
        "candidates": None if candidates is None else list(candidates),
        "seats": seats,
    }


def unit_doc(unit: Unit, status: str, head: str | None) -> dict[str, Any]:
    return {
        "id": unit.unit_id,
        "building": unit.building,
        "usage": unit.usage.value,
        "status": status,
        "area": format_area(unit.area),
        "area_source": unit.area_source.value,
        "developer_held": unit.developer_held,
        "head": head,
    }


def roster_bytes(header: Mapping[str, Any], units: Iterable[dict[str, Any]]) -> bytes:
    doc = {"v": ROSTER_VERSION, **header, "units": sorted(units, key=lambda u: u["id"])}
    return canonical.encode(doc)


def grouped_roster(
    header: Mapping[str, Any], units: Iterable[tuple[Unit, str]], settings: AssemblySettings
) -> tuple[bytes, Roster]:
    """Group units (with real owner sets) into heads; export only the grouping."""
    pairs = list(units)
    roster = build_roster([u for u, _ in pairs], settings)
    docs = [unit_doc(u, status, roster.head_of_unit.get(u.unit_id)) for u, status in pairs]
    return roster_bytes(header, docs), roster


def parse_roster(data: bytes, settings: AssemblySettings) -> Roster:
    """Rebuild the roster from ``roster.json`` and check its head grouping.

    Each unit's owner set is replaced by its published head id, which groups
    exactly as the real owner sets did; voting's ``build_roster`` must then give
    every unit the head id the document states.
    """
    doc = canonical.decode(data)
    if not isinstance(doc, dict) or set(doc) != ROSTER_KEYS or doc["v"] != ROSTER_VERSION:
        raise EncodingError(f"roster is not a version 1 roster document (keys "
                            f"{sorted(ROSTER_KEYS)}, v 1)")
    if not (isinstance(doc["community"], str) and isinstance(doc["registry_digest"], str)
            and _int(doc["roster_version"]) and isinstance(doc["units"], list)):
        raise EncodingError("roster: community and registry_digest must be strings, "
                            "roster_version an integer, units a list")
    units: list[Unit] = []
    stated: dict[str, str | None] = {}
    keys = {"id", "building", "usage", "status", "area", "area_source", "developer_held", "head"}
    prev = None
    for i, u in enumerate(doc["units"]):
        if not isinstance(u, dict) or set(u) != keys:
            raise EncodingError(f"roster units[{i}] keys must be {sorted(keys)}")
        for name, kinds in (("id", str), ("status", str), ("area", str),
                            ("developer_held", bool), ("head", (str, type(None))),
                            ("building", (str, type(None)))):
            if not isinstance(u[name], kinds) or u[name] == "":
                raise EncodingError(f"roster units[{i}].{name} {u[name]!r} has the wrong type")
        if prev is not None and not prev < u["id"]:
            raise EncodingError(f"roster units[{i}] not sorted by id")
        prev = u["id"]
        try:
            area = parse_area(u["area"], f"units[{i}].area")
            if format_area(area) != u["area"]:
                raise EncodingError(f"roster units[{i}].area is not two-place decimal text")
            owners = (
                frozenset()
                if u["developer_held"]
                else frozenset({u["head"] if u["head"] is not None else "unit:" + u["id"]})
            )
            units.append(
                Unit(
                    u["id"],
                    owners,
                    Decimal(area),
                    AreaSource(u["area_source"]),
                    u["building"],
                    u["usage"],
                    u["developer_held"],
                )
            )
        except (VotingError, ValueError, TypeError) as exc:
            raise EncodingError(f"roster units[{i}]: {exc}") from None
        stated[u["id"]] = u["head"]
    try:
        roster = build_roster(units, settings)
    except VotingError as exc:
        raise EncodingError(f"roster: {exc}") from None
    for unit_id, head in stated.items():
        got = roster.head_of_unit.get(unit_id)
        if got != head:
            raise EncodingError(f"roster unit {unit_id}: states head {head}, grouping gives {got}")
    return roster


_CHOICE = {c.value: c for c in Choice}


def to_vote(value: Any) -> Vote:
    if isinstance(value, str):
        if value == Sealed.SEALED:  # a secret ballot's item (ledger.payloads.SEALED_CHOICE)
            return Sealed.SEALED
        return _CHOICE.get(value) or Choice(value)
    return Approval.of(value)


def convert_choices(choices: Mapping[str, Any]) -> dict[str, Vote]:
    return {k: to_vote(v) for k, v in choices.items()}
