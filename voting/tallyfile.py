"""The tally file: a self-contained JSON vote record anyone can re-tally.

Read by ``ownervote tally FILE`` and usable by committees, auditors and
tests.  Format (every key not listed here is refused, so that a misspelt key
cannot silently drop data; docs/rules.md §11 documents each field)::

    {
      "units":   [{"unit": "1-101", "owners": ["o1", "o2"],
                   "registered_area" | "surveyed_area" | "contract_area": "89.50",
                   "developer_held": false, "building": "1", "usage": "residential"}],
      "items":   [{"id": "covenant", "matter": "ordinary" | "special", "kind": 1..9,
                   "type": "motion" | "election", "candidates": ["c1"], "seats": 1,
                   "buildings": ["1"], "title": "..."}],
      "ballots": [{"unit": "1-101", "item": "covenant",
                   "choice": "agree" | "oppose" | "abstain"  (or "approve": ["c1"]),
                   "channel": "electronic" | "paper" | "proxy", "time": "ISO 8601",
                   "voter": "o1", "agent": "a1"}],
      "representatives": [{"unit": "1-101", "voter": "o2", "time": "..."}],
      "transfers": [{"unit": "1-101", "buyer": "b1", "time": "..."}],
      "settings": {... the settings the count applies: TALLY_SETTINGS ...},
      "comment": "free text, ignored"
    }

* Areas are decimal *strings* (never JSON numbers, which many tools turn
  into floats), positive, at most two decimal places; several may be given,
  the first of registered → surveyed → contract counts.
* An item gives ``matter`` (threshold), ``kind`` (Civil Code matter 1–9) or
  both (they must agree); an election is kind 3 and needs candidates and seats.
* Ballots are counted as the server counts them (:mod:`voting.tallyballots`):
  revote, precedence, proxies, the co-owner rule and transfers apply; a ballot the
  rules refuse does not count and is listed in the output.

Every error is a :class:`~voting.errors.TallyFileError` whose message starts with
where the offending value is: the unit or item by its id where it has one
(``unit N-1 (units[0]): registered_area -5 is negative``), else the JSON path
(``ballots[17].unit: unknown unit "3-1202"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from voting.areas import AreaSource, format_area, parse_area
from voting.ballots import Vote
from voting.election import ElectionRuleProblem, election_rule_problem
from voting.errors import TallyFileError, VotingError
from voting.heads import Roster, Unit, Usage, build_roster
from voting.items import Item, ItemKind
from voting.matters import Matter, Threshold
from voting.sales import Sale, tally_with_sales
from voting.settings import AssemblySettings
from voting.tally import AssemblyResult
from voting.tallyballots import RefusedBallot, count_ballots
from voting.tallyids import normalise_identifiers
from voting.tallyjson import json_list, json_object, kind_of, loads, shown, strings, text

_TOP_KEYS = frozenset({"units", "items", "ballots", "representatives", "transfers",
                       "settings", "comment"})
#: The settings a tally applies.  The others (the notice period, the objection period …)
#: are about the assembly's calendar, which a tally file does not hold: given in a file
#: they are refused, never printed back as if applied.
TALLY_SETTINGS = frozenset({"scope_buildings", "count_parking", "revote", "precedence",
                            "proxy_cap", "non_voters_join_majority", "committee_size",
                            "ranking", "competitive_elections"})
_AREA_KEYS = {source: f"{source.value}_area" for source in AreaSource}
_UNIT_KEYS = frozenset({"unit", "owners", "developer_held", "building", "usage"}) | frozenset(
    _AREA_KEYS.values()
)
_ITEM_KEYS = frozenset(
    {"id", "matter", "kind", "type", "candidates", "seats", "buildings", "title"}
)
_USAGES = tuple(usage.value for usage in Usage)


@dataclass(frozen=True)
class TallyInput:
    """A parsed tally file, ready for :func:`voting.tally.tally`."""

    settings: AssemblySettings
    roster: Roster
    items: tuple[Item, ...]
    votes: dict[tuple[str, str], Vote]
    refused: tuple[RefusedBallot, ...] = ()
    #: identifiers read in their normal form (voting.tallyids), one line each
    warnings: tuple[str, ...] = ()
    #: units sold out of multi-unit heads during the vote (voting.sales)
    sales: tuple[Sale, ...] = ()

    def tally(self) -> AssemblyResult:
        return tally_with_sales(self.roster, self.items, self.votes, self.settings, self.sales)

    def to_json(self) -> dict[str, Any]:
        """The result, and the ballots the casting rules refused (they do not count)."""
        return {**self.tally().to_json(),
                "refused_ballots": [refused.to_json() for refused in self.refused]}


def _named(kind: str, name: str, path: str) -> str:
    """Where an error is: the unit or item by its id, then its position in the file."""
    return f"{kind} {shown(name)} ({path})"


def parse_unit(data: Any, path: str) -> Unit:
    """One entry of ``units``."""
    entry = json_object(data, path, _UNIT_KEYS)
    if "unit" not in entry:
        raise TallyFileError(path, 'missing "unit"')
    unit_id = text(entry["unit"], f"{path}.unit")
    where = _named("unit", unit_id, path)
    if "owners" not in entry:
        raise TallyFileError(where, 'missing "owners"')
    owners = strings(entry["owners"], f"{where}: owners")
    developer = entry.get("developer_held", False)
    if not isinstance(developer, bool):
        raise TallyFileError(where, f"developer_held: expected true or false, got "
                                    f"{kind_of(developer)}")
    if not owners and not developer:
        raise TallyFileError(where, "owners: the unit has no owner and is not developer-held")
    chosen: tuple[Decimal, AreaSource] | None = None
    for source, key in _AREA_KEYS.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise TallyFileError(
                where, f'{key} must be a decimal string like "89.50", got {kind_of(value)}'
            )
        try:
            area = parse_area(value, key)
        except VotingError as exc:
            raise TallyFileError(where, str(exc)) from None
        if chosen is None:
            chosen = (area, source)
    if chosen is None:
        raise TallyFileError(
            where, 'no "registered_area", "surveyed_area" or "contract_area"'
        )
    building = entry.get("building")
    if building is not None:
        building = text(building, f"{where}: building")
    usage = entry.get("usage", Usage.RESIDENTIAL.value)
    if usage not in _USAGES:
        raise TallyFileError(where, f"usage {kind_of(usage)} is not one of {', '.join(Usage)}")
    return Unit(unit_id, frozenset(owners), chosen[0], chosen[1], building, Usage(usage), developer)


def unit_to_json(unit: Unit) -> dict[str, Any]:
    """The tally-file form of a unit (inverse of :func:`parse_unit`)."""
    data: dict[str, Any] = {"unit": unit.unit_id, "owners": sorted(unit.owners)}
    data[_AREA_KEYS[unit.area_source]] = format_area(unit.area)
    if unit.developer_held:
        data["developer_held"] = True
    if unit.building is not None:
        data["building"] = unit.building
    if unit.usage is not Usage.RESIDENTIAL:
        data["usage"] = unit.usage.value
    return data


def parse_item(data: Any, path: str) -> Item:
    """One entry of ``items``."""
    entry = json_object(data, path, _ITEM_KEYS)
    if "id" not in entry:
        raise TallyFileError(path, 'missing "id"')
    item_id = text(entry["id"], f"{path}.id")
    where = _named("item", item_id, path)
    if "title" in entry:
        text(entry["title"], f"{where}: title")
    kind_type = entry.get("type", ItemKind.MOTION.value)
    if kind_type not in ("motion", "election"):
        raise TallyFileError(where, f'type {kind_of(kind_type)} is not "motion" or "election"')
    threshold = entry.get("matter")
    if threshold is not None and threshold not in ("ordinary", "special"):
        raise TallyFileError(where, f'matter {kind_of(threshold)} is not "ordinary" or "special"')
    matter = entry.get("kind")
    if matter is not None and (
        isinstance(matter, bool) or not isinstance(matter, int) or not 1 <= matter <= 9
    ):
        raise TallyFileError(where, f"kind {kind_of(matter)} is not a matter number 1..9")
    buildings = entry.get("buildings")
    if buildings is not None:
        buildings = strings(buildings, f"{where}: buildings")
        if not buildings:
            raise TallyFileError(where, "buildings: an empty list leaves nobody to vote")
    if kind_type == "election":
        if matter is not None and matter != Matter.COMMITTEE:
            raise TallyFileError(where, "kind: an election is matter 3 (选举业主委员会)")
        if threshold not in (None, "ordinary"):
            raise TallyFileError(where, "matter: an election is an ordinary matter")
        for key in ("candidates", "seats"):
            if key not in entry:
                raise TallyFileError(where, f'an election: missing "{key}"')
        candidates = strings(entry["candidates"], f"{where}: candidates")
        if not candidates:
            raise TallyFileError(where, "candidates: an election needs at least one candidate")
        seats = entry["seats"]
        if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
            raise TallyFileError(where, f"seats {kind_of(seats)} is not a positive integer")
        return Item.election(item_id, candidates, seats, buildings)
    for key in ("candidates", "seats"):
        if key in entry:
            raise TallyFileError(where, f"{key}: only an election item has candidates and seats")
    if matter is None:
        if threshold is None:
            raise TallyFileError(where, 'give "matter" (ordinary/special) or "kind"')
        return Item.motion(item_id, Threshold(threshold), buildings)
    law = Matter(matter)
    if threshold is not None and law.threshold.value != threshold:
        raise TallyFileError(
            where,
            f'matter: kind {matter} ({law.zh}) is a {law.threshold.value} matter, not '
            f'"{threshold}"',
        )
    return Item.motion(item_id, law, buildings)


def item_to_json(item: Item) -> dict[str, Any]:
    """The tally-file form of an item (inverse of :func:`parse_item`)."""
    data: dict[str, Any] = {"id": item.item_id, "matter": item.threshold.value}
    if item.matter is not None:
        data["kind"] = int(item.matter)
    if item.is_election:
        data.update(type="election", candidates=list(item.candidates), seats=item.seats)
    if item.buildings is not None:
        data["buildings"] = sorted(item.buildings)
    return data


def _check_election_rules(item: Item, settings: AssemblySettings, path: str) -> None:
    """The election settings the server applies to an item (voting.election), here too."""
    problem = election_rule_problem(item.seats, len(item.candidates), settings)
    if problem is ElectionRuleProblem.SEATS_OVER_COMMITTEE_SIZE:
        raise TallyFileError(f"{path}.seats", f"{item.seats} seats but settings.committee_size "
                             f"is {settings.committee_size}")
    if problem is ElectionRuleProblem.NOT_COMPETITIVE:
        raise TallyFileError(f"{path}.candidates", f"{len(item.candidates)} candidate(s) for "
                             f"{item.seats} seat(s): settings.competitive_elections asks for "
                             "more candidates than seats")


def _settings(raw: Any) -> AssemblySettings:
    """The file's settings: only those a tally applies (:data:`TALLY_SETTINGS`)."""
    if raw is None:
        raw = {}
    if isinstance(raw, dict):
        for key in raw:
            if key not in TALLY_SETTINGS and key in AssemblySettings.__dataclass_fields__:
                raise TallyFileError(
                    f"settings.{key}", "a tally does not apply this setting (it concerns the "
                    "assembly's calendar, not the count); leave it out")
    try:
        return AssemblySettings.from_dict(raw)
    except VotingError as exc:
        raise TallyFileError("", str(exc)) from None


def parse(data: Any, source: str = "FILE") -> TallyInput:
    """Validate a decoded tally file, build roster and items, and count its ballots.

    ``source`` names the file in errors about the file as a whole.
    """
    top = json_object(data, source, _TOP_KEYS)
    warnings = normalise_identifiers(top)
    for key in ("units", "items", "ballots"):
        if key not in top:
            raise TallyFileError(source, f'missing "{key}"')
    settings = _settings(top.get("settings"))
    units: list[Unit] = []
    first_seen: dict[str, int] = {}
    for index, raw in enumerate(json_list(top["units"], "units")):
        unit = parse_unit(raw, f"units[{index}]")
        if unit.unit_id in first_seen:
            raise TallyFileError(
                _named("unit", unit.unit_id, f"units[{index}]"),
                f"listed twice (first at units[{first_seen[unit.unit_id]}])",
            )
        first_seen[unit.unit_id] = index
        units.append(unit)
    try:
        roster = build_roster(units, settings)
    except VotingError as exc:
        raise TallyFileError("units", str(exc)) from None
    items: dict[str, Item] = {}
    for index, raw in enumerate(json_list(top["items"], "items")):
        item = parse_item(raw, f"items[{index}]")
        where = _named("item", item.item_id, f"items[{index}]")
        if item.item_id in items:
            raise TallyFileError(where, "listed twice")
        try:
            scope = roster.scope(item.buildings)
        except VotingError as exc:
            raise TallyFileError(where, f"buildings: {exc}") from None
        if not scope.area_of:
            raise TallyFileError(where, "buildings: no counted unit in these buildings")
        if item.is_election:
            _check_election_rules(item, settings, f"items[{index}]")
        items[item.item_id] = item
    counted = count_ballots(top, roster, items, settings)
    return TallyInput(settings, roster, tuple(items.values()), counted.votes, counted.refused,
                      tuple(warnings), counted.sales)


def load(text: str | bytes, source: str = "FILE") -> TallyInput:
    """Decode and parse a tally file."""
    return parse(loads(text, source), source)


def run(text: str | bytes, source: str = "FILE") -> dict[str, Any]:
    """Tally a file's text and return the JSON-ready result (with the refused ballots)."""
    return load(text, source).to_json()
