"""The ballots, representatives and transfers of a tally file, counted as the server counts.

A tally file's ballots are turned into one stream of events in the order they happened
and fed to :class:`voting.counting.Counting` — the very code the offline verifier replays
a ledger with — so the file's ``revote``, ``precedence`` and ``proxy_cap`` settings, the
co-owner rule and units sold during the vote are applied exactly as the server applied
them when the ballots were cast.  A ballot the casting rules refuse does not count; it
is reported (:class:`RefusedBallot`), as the server would have told its voter.

Order: by ``time`` when the file gives times (then every ballot, representative and
transfer must have one; at the same time a transfer comes first, then a representative,
then ballots, each in list order), otherwise the order of the lists (representatives
then apply from the start; transfers need times).

A transfer of a unit its head counts with others (one buyer's several units, the
developer's) splits that head (:meth:`voting.counting.Counting.sell`): from its time a
ballot naming the unit speaks for the buyer's head.  The buyer joins the head they are
already, when some head's owners are exactly the buyer (one owner of several units).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voting.ballots import Approval, Channel, Choice, Vote, vote_problem
from voting.counting import Counting
from voting.errors import CastRefused, TallyFileError
from voting.heads import Roster
from voting.items import Item
from voting.sales import Sale, SaleRefused
from voting.settings import AssemblySettings
from voting.tallyjson import json_list, json_object, kind_of, shown, strings, text

BALLOT_KEYS = frozenset({"unit", "item", "choice", "approve", "channel", "time", "voter",
                         "agent"})
REPRESENTATIVE_KEYS = frozenset({"unit", "voter", "time"})
TRANSFER_KEYS = frozenset({"unit", "buyer", "time"})
_CHANNELS = {channel.value: channel for channel in Channel}
_CHOICES = {choice.value: choice for choice in Choice}
# at the same time: the sale first (ballots from its time on are the buyer's), then the
# committee's record of a representative, then ballots
_TRANSFER, _REPRESENTATIVE, _BALLOT = range(3)


@dataclass(frozen=True)
class RefusedBallot:
    """A ballot of the file the casting rules refuse (it does not count)."""

    index: int  # its position in "ballots"
    unit: str
    item: str
    refusal: CastRefused

    def to_json(self) -> dict[str, Any]:
        return {"ballot": self.index, "unit": self.unit, "item": self.item,
                "reason": self.refusal.reason.value, "message": self.refusal.message}


@dataclass(frozen=True)
class _Event:
    order: tuple[dt.datetime | None, int, int]
    path: str
    head_id: str
    unit: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Counted:
    """What a tally file's events come to: the votes that count, the refused ballots and
    the units sold out of multi-unit heads."""

    votes: dict[tuple[str, str], Vote]
    refused: tuple[RefusedBallot, ...]
    sales: tuple[Sale, ...]


def count_ballots(top: Mapping[str, Any], roster: Roster, items: Mapping[str, Item],
                  settings: AssemblySettings) -> Counted:
    """The vote that counts per (head, item), the refused ballots and the sales of a file."""
    events = [*_unit_events(top.get("transfers", []), roster, name="transfers",
                            keys=TRANSFER_KEYS, field="buyer", kind=_TRANSFER),
              *_unit_events(top.get("representatives", []), roster, name="representatives",
                            keys=REPRESENTATIVE_KEYS, field="voter", kind=_REPRESENTATIVE),
              *_ballots(json_list(top["ballots"], "ballots"), roster, items)]
    timed = [event.order[0] is not None for event in events]
    if any(timed) and not all(timed):
        first = events[timed.index(False)]
        raise TallyFileError(first.path, 'missing "time": when one ballot, representative or '
                                         "transfer has a time, all must have one")
    if not any(timed):
        for event in events:
            if event.order[1] == _TRANSFER:
                raise TallyFileError(event.path, 'missing "time": a transfer applies from its '
                                                 "time, so every ballot needs a time too")
    counting = Counting(settings, items, roster)
    owners_of = _owners(roster)
    refused: list[RefusedBallot] = []
    sole = {frozenset(owners): head_id for head_id, owners in owners_of.items()
            if not roster.heads[head_id].developer}
    for seq, event in enumerate(sorted(events, key=_sort_key), start=1):
        kind, fields = event.order[1], event.fields
        now = counting.roster
        assert now is not None  # Counting was given the roster
        # the unit's head now: a unit sold out of a multi-unit head is its buyer's
        head_id = now.head_of_unit.get(event.unit, event.head_id)
        if kind == _TRANSFER:
            _transfer(counting, event, head_id, fields["buyer"], owners_of, sole)
            continue
        voter: str | None = fields.get("voter")
        if voter is not None and voter not in owners_of.get(head_id, ()):
            raise TallyFileError(f"{event.path}.voter", f"{kind_of(voter)} is not an owner of "
                                                        f"unit {event.unit}")
        if kind == _REPRESENTATIVE:
            counting.represent(head_id, fields["voter"])
            continue
        try:
            counting.cast(seq, head_id, fields["channel"], {fields["item"]: fields["vote"]},
                          fields.get("agent"), voter)
        except CastRefused as refusal:
            refused.append(RefusedBallot(event.order[2], event.unit, fields["item"], refusal))
    return Counted(counting.votes, tuple(refused), tuple(counting.sales))


def _transfer(counting: Counting, event: _Event, head_id: str, buyer: str,
              owners_of: dict[str, set[str]], sole: Mapping[frozenset[str], str]) -> None:
    """A unit sold: its single-unit head passes to the buyer, or its multi-unit head splits."""
    now = counting.roster
    assert now is not None
    if head_id != event.head_id or head_id in counting.transfers:
        raise TallyFileError(event.path, f"unit {event.unit} is transferred twice")
    if len(now.heads[head_id].unit_ids) == 1 and head_id not in counting.sellers:
        counting.transfer(head_id, buyer)
        owners_of[head_id].add(buyer)
        return
    into = sole.get(frozenset({buyer}))
    try:
        sale = counting.sell(head_id, event.unit, buyer, into)
    except SaleRefused as exc:
        raise TallyFileError(event.path, f"unit {event.unit}: {exc.message}") from None
    owners_of.setdefault(sale.buyer_head, set()).add(buyer)


def _sort_key(event: _Event) -> tuple[dt.datetime, int, int]:
    time, kind, position = event.order
    return (time or dt.datetime.min.replace(tzinfo=dt.UTC), kind, position)


def _owners(roster: Roster) -> dict[str, set[str]]:
    """head id -> the owner identifiers of its units (who may cast its ballots)."""
    owners: dict[str, set[str]] = {head_id: set() for head_id in roster.heads}
    for unit in roster.units.values():
        head_id = roster.head_of_unit.get(unit.unit_id)
        if head_id is not None:
            owners[head_id].update(unit.owners)
    return owners


def _time(entry: Mapping[str, Any], path: str) -> dt.datetime | None:
    if "time" not in entry:
        return None
    value = entry["time"]
    try:
        parsed = dt.datetime.fromisoformat(text(value, f"{path}.time"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise TallyFileError(f"{path}.time", f"{kind_of(value)} is not a time with its UTC "
                                             'offset like "2025-03-20T09:15:00+08:00"')
    return parsed


def _unit(entry: Mapping[str, Any], path: str, roster: Roster) -> tuple[str, str]:
    """(unit id, head id) of an entry's counted ``unit``."""
    if "unit" not in entry:
        raise TallyFileError(path, 'missing "unit"')
    unit_id = entry["unit"]
    head_id = roster.head_of_unit.get(unit_id) if isinstance(unit_id, str) else None
    if head_id is None:
        text(unit_id, f"{path}.unit")
        reason = roster.excluded.get(unit_id)
        detail = f'unit "{shown(unit_id)}" does not count here: {reason}' if reason else None
        raise TallyFileError(f"{path}.unit", detail or f'unknown unit "{shown(unit_id)}"')
    return unit_id, head_id


def _unit_events(raw: Any, roster: Roster, *, name: str, keys: frozenset[str],
                 field: str, kind: int) -> list[_Event]:
    """The ``name`` list (``transfers`` or ``representatives``): each entry names a unit, a
    time and ``field`` (the buyer, or the co-owner who votes)."""
    events = []
    for index, data in enumerate(json_list(raw, name)):
        path = f"{name}[{index}]"
        entry = json_object(data, path, keys)
        unit_id, head_id = _unit(entry, path, roster)
        if field not in entry:
            raise TallyFileError(path, f'unit {unit_id}: missing "{field}"')
        value = text(entry[field], f"{path}.{field}")
        events.append(_Event((_time(entry, path), kind, index), path, head_id, unit_id,
                             {field: value}))
    return events


def _ballots(ballots: list[Any], roster: Roster, items: Mapping[str, Item]) -> list[_Event]:
    events = []
    for index, raw in enumerate(ballots):
        path = f"ballots[{index}]"
        entry = json_object(raw, path, BALLOT_KEYS)
        if "item" not in entry:
            raise TallyFileError(path, 'missing "item"')
        unit_id, head_id = _unit(entry, path, roster)
        item_id = entry["item"]
        item = items.get(item_id) if isinstance(item_id, str) else None
        if item is None:
            text(item_id, f"{path}.item")
            raise TallyFileError(f"{path}.item", f'unknown item "{shown(item_id)}"')
        vote, where = _vote(entry, path)
        if item.buildings is not None and head_id not in roster.scope(item.buildings):
            raise TallyFileError(
                f"{path}.unit",
                f'unit "{unit_id}" (head {head_id}) holds no unit in item "{item_id}"\'s '
                f"buildings {sorted(item.buildings)}",
            )
        problem = vote_problem(item, vote)
        if problem is not None:
            raise TallyFileError(where, problem[1])
        channel = entry.get("channel", Channel.ELECTRONIC.value)
        if not isinstance(channel, str) or channel not in _CHANNELS:
            raise TallyFileError(f"{path}.channel", f"{kind_of(channel)} is not one of "
                                                    f"{', '.join(_CHANNELS)}")
        fields: dict[str, Any] = {"item": item_id, "vote": vote, "channel": _CHANNELS[channel]}
        for key in ("voter", "agent"):
            if key in entry:
                fields[key] = text(entry[key], f"{path}.{key}")
        events.append(_Event((_time(entry, path), _BALLOT, index), path, head_id, unit_id,
                             fields))
    return events


def _vote(entry: Mapping[str, Any], path: str) -> tuple[Vote, str]:
    if ("choice" in entry) == ("approve" in entry):
        raise TallyFileError(path, 'give exactly one of "choice" and "approve"')
    if "choice" in entry:
        choice = entry["choice"]
        vote: Vote | None = _CHOICES.get(choice) if isinstance(choice, str) else None
        if vote is None:
            raise TallyFileError(
                f"{path}.choice",
                f"unknown choice {kind_of(choice)} (agree, oppose, abstain, invalid)",
            )
        return vote, f"{path}.choice"
    return Approval(frozenset(strings(entry["approve"], f"{path}.approve"))), f"{path}.approve"
