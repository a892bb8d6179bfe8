"""The tally file: a self-contained JSON vote record anyone can re-tally.

Read by ``ownervote tally FILE`` and usable by committees, auditors and
tests.  Format (every key not listed here is refused, so that a misspelt key
cannot silently drop data)::

    {
      "units":   [{"unit": "1-101", "owners": ["o1", "o2"],
                   "registered_area" | "surveyed_area" | "contract_area": "89.50",
                   "developer_held": false, "building": "1", "usage": "residential"}],
      "items":   [{"id": "covenant", "matter": "ordinary" | "special", "kind": 1..9,
                   "type": "motion" | "election", "candidates": ["c1"], "seats": 1,
                   "buildings": ["1"], "title": "..."}],
      "ballots": [{"unit": "1-101", "item": "covenant",
                   "choice": "agree" | "oppose" | "abstain"}
                  | {"unit": "1-101", "item": "committee", "approve": ["c1"]}],
      "settings": {... AssemblySettings.to_dict() keys, all optional ...},
      "comment": "free text, ignored"
    }

* Areas are decimal *strings* (never JSON numbers, which many tools turn
  into floats), positive, at most two decimal places; several may be given,
  the first of registered → surveyed → contract counts.
* An item gives ``matter`` (threshold), ``kind`` (Civil Code matter 1–9) or
  both (they must agree); an election is kind 3 and needs candidates and seats.
* A ballot speaks for the head its unit belongs to; when a head has several
  ballots on one item, the last in the list counts.

Every error is a :class:`~voting.errors.TallyFileError` whose message starts
with the JSON path of the offending value, e.g.
``ballots[17].unit: unknown unit "3-1202"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from voting.areas import AreaSource, format_area, parse_area
from voting.ballots import Approval, Choice, Vote, vote_problem
from voting.errors import TallyFileError, VotingError
from voting.heads import Roster, Unit, Usage, build_roster
from voting.items import Item, ItemKind
from voting.matters import Matter, Threshold
from voting.settings import AssemblySettings
from voting.tally import AssemblyResult, tally

_TOP_KEYS = frozenset({"units", "items", "ballots", "settings", "comment"})
_AREA_KEYS = {source: f"{source.value}_area" for source in AreaSource}
_UNIT_KEYS = frozenset({"unit", "owners", "developer_held", "building", "usage"}) | frozenset(
    _AREA_KEYS.values()
)
_ITEM_KEYS = frozenset(
    {"id", "matter", "kind", "type", "candidates", "seats", "buildings", "title"}
)
_BALLOT_KEYS = frozenset({"unit", "item", "choice", "approve"})
_USAGES = tuple(usage.value for usage in Usage)


@dataclass(frozen=True)
class TallyInput:
    """A parsed tally file, ready for :func:`voting.tally.tally`."""

    settings: AssemblySettings
    roster: Roster
    items: tuple[Item, ...]
    votes: dict[tuple[str, str], Vote]

    def tally(self) -> AssemblyResult:
        return tally(self.roster, self.items, self.votes, self.settings)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise TallyFileError("", f'duplicate key "{key}" in a JSON object')
            seen.add(key)
    return result


def _no_constant(name: str) -> Any:
    raise TallyFileError("", f"{name} is not allowed in a tally file")


def loads(text: str | bytes, source: str = "FILE") -> Any:
    """Decode JSON strictly: no duplicate keys, no NaN/Infinity, no floats (Decimal)."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=Decimal,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise TallyFileError(
            f"{source}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise TallyFileError(source, f"not UTF-8 text ({exc.reason})") from None
    except TallyFileError as exc:
        raise TallyFileError(source, exc.detail) from None


def _object(value: Any, path: str, keys: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TallyFileError(path, f"expected an object, got {_kind(value)}")
    for key in value:
        if key not in keys:
            raise TallyFileError(path, f'unknown key "{key}" (allowed: {", ".join(sorted(keys))})')
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise TallyFileError(path, f"expected a list, got {_kind(value)}")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise TallyFileError(path, f"expected a non-empty string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else "a string"
    if isinstance(value, int | Decimal):
        return f"the number {value}"
    return {"list": "a list", "dict": "an object"}.get(type(value).__name__, type(value).__name__)


def _strings(value: Any, path: str, *, unique: bool = True) -> list[str]:
    items = _list(value, path)
    seen: set[str] = set()
    for index, entry in enumerate(items):
        _text(entry, f"{path}[{index}]")
        if unique and entry in seen:
            raise TallyFileError(f"{path}[{index}]", f'"{entry}" listed twice')
        seen.add(entry)
    return items


def parse_unit(data: Any, path: str) -> Unit:
    """One entry of ``units``."""
    entry = _object(data, path, _UNIT_KEYS)
    if "unit" not in entry:
        raise TallyFileError(path, 'missing "unit"')
    unit_id = _text(entry["unit"], f"{path}.unit")
    if "owners" not in entry:
        raise TallyFileError(path, f'unit "{unit_id}": missing "owners"')
    owners = _strings(entry["owners"], f"{path}.owners")
    developer = entry.get("developer_held", False)
    if not isinstance(developer, bool):
        raise TallyFileError(
            f"{path}.developer_held", f"expected true or false, got {_kind(developer)}"
        )
    if not owners and not developer:
        raise TallyFileError(
            f"{path}.owners", f'unit "{unit_id}" has no owner and is not developer-held'
        )
    chosen: tuple[Decimal, AreaSource] | None = None
    for source, key in _AREA_KEYS.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise TallyFileError(
                f"{path}.{key}", f'area must be a decimal string like "89.50", got {_kind(value)}'
            )
        try:
            area = parse_area(value, f"{path}.{key}")
        except VotingError as exc:
            raise TallyFileError("", str(exc)) from None
        if chosen is None:
            chosen = (area, source)
    if chosen is None:
        raise TallyFileError(
            path, f'unit "{unit_id}" has no "registered_area", "surveyed_area" or "contract_area"'
        )
    building = entry.get("building")
    if building is not None:
        building = _text(building, f"{path}.building")
    usage = entry.get("usage", Usage.RESIDENTIAL.value)
    if usage not in _USAGES:
        raise TallyFileError(f"{path}.usage", f"{_kind(usage)} is not one of {', '.join(Usage)}")
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
    entry = _object(data, path, _ITEM_KEYS)
    if "id" not in entry:
        raise TallyFileError(path, 'missing "id"')
    item_id = _text(entry["id"], f"{path}.id")
    if "title" in entry:
        _text(entry["title"], f"{path}.title")
    kind_type = entry.get("type", ItemKind.MOTION.value)
    if kind_type not in ("motion", "election"):
        raise TallyFileError(f"{path}.type", f'{_kind(kind_type)} is not "motion" or "election"')
    threshold = entry.get("matter")
    if threshold is not None and threshold not in ("ordinary", "special"):
        raise TallyFileError(f"{path}.matter", f'{_kind(threshold)} is not "ordinary" or "special"')
    matter = entry.get("kind")
    if matter is not None and (
        isinstance(matter, bool) or not isinstance(matter, int) or not 1 <= matter <= 9
    ):
        raise TallyFileError(f"{path}.kind", f"{_kind(matter)} is not a matter number 1..9")
    buildings = entry.get("buildings")
    if buildings is not None:
        buildings = _strings(buildings, f"{path}.buildings")
        if not buildings:
            raise TallyFileError(f"{path}.buildings", "an empty list leaves nobody to vote")
    if kind_type == "election":
        if matter is not None and matter != Matter.COMMITTEE:
            raise TallyFileError(f"{path}.kind", "an election is matter 3 (选举业主委员会)")
        if threshold not in (None, "ordinary"):
            raise TallyFileError(f"{path}.matter", "an election is an ordinary matter")
        for key in ("candidates", "seats"):
            if key not in entry:
                raise TallyFileError(path, f'election item "{item_id}": missing "{key}"')
        candidates = _strings(entry["candidates"], f"{path}.candidates")
        if not candidates:
            raise TallyFileError(f"{path}.candidates", "an election needs at least one candidate")
        seats = entry["seats"]
        if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
            raise TallyFileError(f"{path}.seats", f"{_kind(seats)} is not a positive integer")
        return Item.election(item_id, candidates, seats, buildings)
    for key in ("candidates", "seats"):
        if key in entry:
            raise TallyFileError(f"{path}.{key}", "only an election item has candidates and seats")
    if matter is None:
        if threshold is None:
            raise TallyFileError(
                path, f'item "{item_id}": give "matter" (ordinary/special) or "kind"')
        return Item.motion(item_id, Threshold(threshold), buildings)
    law = Matter(matter)
    if threshold is not None and law.threshold.value != threshold:
        raise TallyFileError(
            f"{path}.matter",
            f'kind {matter} ({law.zh}) is a {law.threshold.value} matter, not "{threshold}"',
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


def parse(data: Any, source: str = "FILE") -> TallyInput:
    """Validate a decoded tally file and build roster, items and effective votes.

    ``source`` names the file in errors about the file as a whole.
    """
    top = _object(data, source, _TOP_KEYS)
    for key in ("units", "items", "ballots"):
        if key not in top:
            raise TallyFileError(source, f'missing "{key}"')
    try:
        settings = AssemblySettings.from_dict(top.get("settings") or {})
    except VotingError as exc:
        raise TallyFileError("", str(exc)) from None
    units: list[Unit] = []
    first_seen: dict[str, int] = {}
    for index, raw in enumerate(_list(top["units"], "units")):
        unit = parse_unit(raw, f"units[{index}]")
        if unit.unit_id in first_seen:
            raise TallyFileError(
                f"units[{index}].unit",
                f'duplicate unit "{unit.unit_id}" (first at units[{first_seen[unit.unit_id]}])',
            )
        first_seen[unit.unit_id] = index
        units.append(unit)
    try:
        roster = build_roster(units, settings)
    except VotingError as exc:
        raise TallyFileError("units", str(exc)) from None
    items: dict[str, Item] = {}
    for index, raw in enumerate(_list(top["items"], "items")):
        item = parse_item(raw, f"items[{index}]")
        if item.item_id in items:
            raise TallyFileError(f"items[{index}].id", f'duplicate item "{item.item_id}"')
        try:
            scope = roster.scope(item.buildings)
        except VotingError as exc:
            raise TallyFileError(f"items[{index}].buildings", str(exc)) from None
        if not scope.area_of:
            raise TallyFileError(f"items[{index}].buildings", "no counted unit in these buildings")
        items[item.item_id] = item
    votes = _parse_ballots(_list(top["ballots"], "ballots"), roster, items)
    return TallyInput(settings, roster, tuple(items.values()), votes)


def _parse_ballots(
    ballots: Iterable[Any], roster: Roster, items: Mapping[str, Item]
) -> dict[tuple[str, str], Vote]:
    votes: dict[tuple[str, str], Vote] = {}
    head_of_unit = roster.head_of_unit
    choices = {choice.value: choice for choice in Choice}
    for index, raw in enumerate(ballots):
        path = f"ballots[{index}]"
        entry = _object(raw, path, _BALLOT_KEYS)
        for key in ("unit", "item"):
            if key not in entry:
                raise TallyFileError(path, f'missing "{key}"')
        unit_id = entry["unit"]
        head_id = head_of_unit.get(unit_id) if isinstance(unit_id, str) else None
        if head_id is None:
            _text(unit_id, f"{path}.unit")
            reason = roster.excluded.get(unit_id)
            detail = f'unit "{unit_id}" does not count here: {reason}' if reason else None
            raise TallyFileError(f"{path}.unit", detail or f'unknown unit "{unit_id}"')
        item_id = entry["item"]
        item = items.get(item_id) if isinstance(item_id, str) else None
        if item is None:
            _text(item_id, f"{path}.item")
            raise TallyFileError(f"{path}.item", f'unknown item "{item_id}"')
        if ("choice" in entry) == ("approve" in entry):
            raise TallyFileError(path, 'give exactly one of "choice" and "approve"')
        if "choice" in entry:
            choice = entry["choice"]
            vote: Vote | None = choices.get(choice) if isinstance(choice, str) else None
            if vote is None:
                raise TallyFileError(
                    f"{path}.choice", f"unknown choice {_kind(choice)} (agree, oppose, abstain)"
                )
            where = f"{path}.choice"
        else:
            vote = Approval(frozenset(_strings(entry["approve"], f"{path}.approve")))
            where = f"{path}.approve"
        if item.buildings is not None and head_id not in roster.scope(item.buildings):
            raise TallyFileError(
                f"{path}.unit",
                f'unit "{unit_id}" (head {head_id}) holds no unit in item "{item_id}"\'s '
                f"buildings {sorted(item.buildings)}",
            )
        problem = vote_problem(item, vote)
        if problem is not None:
            raise TallyFileError(where, problem[1])
        votes[(head_id, item_id)] = vote
    return votes


def load(text: str | bytes, source: str = "FILE") -> TallyInput:
    """Decode and parse a tally file."""
    return parse(loads(text, source), source)


def run(text: str | bytes, source: str = "FILE") -> dict[str, Any]:
    """Tally a file's text and return the JSON-ready result."""
    return load(text, source).tally().to_json()
