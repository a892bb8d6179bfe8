"""Properties of the whole pipeline (tally file → roster → votes → result)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.support.rosters import communities
from voting import AssemblySettings, Item, RosterError, build_roster
from voting.tallyfile import (
    TALLY_SETTINGS,
    item_to_json,
    parse,
    parse_item,
    parse_unit,
    unit_to_json,
)

MATTERS = st.sampled_from([1, 2, 4, 5, 6, 7, 8, 9, "ordinary", "special"])


@st.composite
def tally_files(draw: st.DrawFn) -> dict[str, Any]:
    """A valid tally file: units, 1–3 motions (some limited to a building), ballots."""
    units = draw(communities(max_units=18))
    config = AssemblySettings(
        count_parking=draw(st.booleans()), non_voters_join_majority=draw(st.booleans())
    )
    try:
        roster = build_roster(units, config)
    except RosterError:
        assume(False)
    buildings = sorted({u.building for u in roster.units.values()})
    items = []
    for index in range(draw(st.integers(1, 3))):
        scope = draw(st.none() | st.sets(st.sampled_from(buildings), min_size=1))
        items.append(Item.motion(f"i{index}", draw(MATTERS), buildings=scope))
    counted = sorted(roster.units)
    ballots = []
    for _ in range(draw(st.integers(0, 40))):
        unit_id = draw(st.sampled_from(counted))
        item = draw(st.sampled_from(items))
        if item.buildings is not None:
            if roster.head_of_unit[unit_id] not in roster.scope(item.buildings):
                continue
        choice = draw(st.sampled_from(["agree", "agree", "oppose", "abstain"]))
        ballots.append({"unit": unit_id, "item": item.item_id, "choice": choice})
    return {
        "settings": {k: v for k, v in config.to_dict().items() if k in TALLY_SETTINGS},
        "units": [unit_to_json(u) for u in units],
        "items": [item_to_json(i) for i in items],
        "ballots": ballots,
    }


def run(data: dict[str, Any]) -> dict[str, Any]:
    return parse(data).tally().to_json()


SLOW = settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(tally_files(), st.randoms(use_true_random=False))
def test_order_of_units_and_ballots_does_not_matter_beyond_last_wins(data, rng) -> None:
    base = run(data)
    head_of_unit = parse(data).roster.head_of_unit
    last: dict[tuple[str, str], dict[str, str]] = {}
    for ballot in data["ballots"]:
        last[(head_of_unit[ballot["unit"]], ballot["item"])] = ballot
    ballots = list(last.values())
    units = list(data["units"])
    rng.shuffle(ballots)
    rng.shuffle(units)
    assert run({**data, "units": units, "ballots": ballots}) == base


def scaled(data: dict[str, Any], factor: int) -> dict[str, Any]:
    units = []
    for unit in data["units"]:
        unit = dict(unit)
        for key in ("registered_area", "surveyed_area", "contract_area"):
            if key in unit:
                unit[key] = str(Decimal(unit[key]) * factor)
        units.append(unit)
    return {**data, "units": units}


@SLOW
@given(tally_files(), st.integers(2, 10_000))
def test_scaling_every_area_changes_no_outcome(data, factor: int) -> None:
    base = run(data)
    other = run(scaled(data, factor))
    assert Decimal(other["total"]["area"]) == Decimal(base["total"]["area"]) * factor
    for one, two in zip(base["items"], other["items"], strict=True):
        for key in ("quorum_met", "passed", "quorum", "approval"):
            assert one[key] == two[key], key
        for key in ("participating", "agree", "oppose", "abstain", "total"):
            assert two[key]["heads"] == one[key]["heads"]
            assert Decimal(two[key]["area"]) == Decimal(one[key]["area"]) * factor


@SLOW
@given(tally_files(), st.data())
def test_an_extra_agreeing_ballot_never_turns_a_pass_into_a_fail(data, draw) -> None:
    parsed = parse(data)
    roster = parsed.roster
    item = draw.draw(st.sampled_from(parsed.items))
    voted = {head for head, item_id in parsed.votes if item_id == item.item_id}
    scope = roster.scope(item.buildings)
    newcomers = sorted(
        unit_id
        for unit_id, head in roster.head_of_unit.items()
        if head in scope and head not in voted
    )
    assume(newcomers)
    unit_id = draw.draw(st.sampled_from(newcomers))
    extra = {"unit": unit_id, "item": item.item_id, "choice": "agree"}
    before = parsed.tally().item(item.item_id)
    after = parse({**data, "ballots": [*data["ballots"], extra]}).tally().item(item.item_id)
    assert after.participating.heads == before.participating.heads + 1
    assert after.quorum_met >= before.quorum_met
    if before.passed:
        assert after.passed


@given(communities(), st.integers(0, 10))
def test_units_and_items_round_trip_through_the_file_format(units, seed: int) -> None:
    for unit in units:
        assert parse_unit(unit_to_json(unit), "units[0]") == unit
    rng = random.Random(seed)
    item = Item.motion(f"i{seed}", rng.randint(1, 9), buildings=rng.choice([None, ["1", "2"]]))
    assert parse_item(item_to_json(item), "items[0]") == item


@SLOW
@given(tally_files())
def test_result_json_is_exact_and_consistent(data) -> None:
    result = run(data)
    for item in result["items"]:
        parts = [Decimal(item[k]["area"]) for k in ("agree", "oppose", "abstain")]
        assert sum(parts) == Decimal(item["participating"]["area"])
        heads = sum(item[k]["heads"] for k in ("agree", "oppose", "abstain"))
        assert heads == item["participating"]["heads"] <= item["total"]["heads"]
        assert item["total"]["heads"] <= result["total"]["heads"]
        for key in ("agree", "oppose", "abstain", "participating", "total"):
            assert Decimal(item[key]["area"]).as_tuple().exponent == -2
        assert item["passed"] <= item["quorum_met"]
