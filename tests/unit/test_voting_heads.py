"""Heads and areas (SPC interpretation arts. 8–9): grouping, developer, parking, scope."""

from __future__ import annotations

import hashlib
import json
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.rosters import communities, unit
from voting import AreaSource, AssemblySettings, RosterError, Unit, build_roster, head_id_for


def test_one_unit_one_head() -> None:
    roster = build_roster([unit("1-101", "90"), unit("1-102", "80.5")])
    assert roster.total.heads == 2
    assert roster.total.area == Decimal("170.50")


def test_same_owner_set_in_any_order_is_one_head_with_summed_area() -> None:
    roster = build_roster(
        [
            unit("1-101", "90", ["wang", "li"]),
            unit("2-301", "60.25", ["li", "wang"]),
            unit("3-101", "70", ["wang"]),  # a different owner set: another head
        ]
    )
    assert roster.total.heads == 2
    head = roster.heads[roster.head_of_unit["1-101"]]
    assert head.unit_ids == ("1-101", "2-301")
    assert head.area == Decimal("150.25")
    assert roster.head_of_unit["3-101"] != head.head_id


def test_developer_held_units_are_one_head_whatever_their_owner_records() -> None:
    roster = build_roster(
        [
            unit("1-101", "90", [], developer_held=True),  # unsold
            unit("1-102", "80", ["buyer-x"], developer_held=True),  # sold, not delivered
            unit("1-103", "70", ["buyer-y"]),
            unit("1-104", "60", ["buyer-x"]),  # delivered: the buyer's own head
        ]
    )
    developer = [head for head in roster.heads.values() if head.developer]
    assert len(developer) == 1
    assert developer[0].unit_ids == ("1-101", "1-102")
    assert developer[0].area == Decimal("170.00")
    assert roster.total.heads == 3


def test_parking_not_counted_by_default_makes_nobody_a_head() -> None:
    units = [
        unit("1-101", "90", ["a"]),
        unit("P-001", "12.5", ["a"], usage="parking"),  # flat owner's space
        unit("P-002", "12.5", ["b"], usage="parking"),  # parking-only owner
        unit("S-001", "5", ["c"], usage="storage"),
    ]
    roster = build_roster(units)
    assert (roster.total.heads, roster.total.area) == (1, Decimal("90.00"))
    assert set(roster.excluded) == {"P-001", "P-002", "S-001"}
    assert "count_parking is off" in roster.excluded["P-002"]
    counted = build_roster(units, AssemblySettings(count_parking=True))
    assert (counted.total.heads, counted.total.area) == (3, Decimal("120.00"))
    assert counted.heads[counted.head_of_unit["P-001"]].unit_ids == ("1-101", "P-001")


def test_head_ids_are_deterministic_pseudonymous_and_documented() -> None:
    canonical = json.dumps(["1-101", "2-301"], ensure_ascii=False, separators=(",", ":"))
    expected = "h-" + hashlib.sha256(b"ownervote/head/v1\n" + canonical.encode()).hexdigest()[:16]
    assert head_id_for(["2-301", "1-101"]) == expected
    one = build_roster([unit("1-101", "90", ["wang", "li"]), unit("2-301", "60", ["li", "wang"])])
    other = build_roster([unit("1-101", "90", ["zhao"]), unit("2-301", "60", ["zhao"])])
    assert list(one.heads) == list(other.heads) == [expected]  # owners never enter the id
    single = build_roster([unit("楼1-101", "90")])
    assert list(single.heads) == [head_id_for(["楼1-101"])]


def test_area_source_is_kept() -> None:
    made = Unit.from_areas("1-101", ["a"], surveyed=Decimal("88.8"), contract=Decimal("90"))
    assert (made.area, made.area_source) == (Decimal("88.80"), AreaSource.SURVEYED)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: build_roster([unit("1-101", "9"), unit("1-101", "8")]), "listed twice"),
        (lambda: unit("1-101", "0"), "must be positive"),
        (lambda: unit("1-101", "1.005"), "more than two decimal places"),
        (lambda: unit("1-101", "9", []), "no owner and is not developer-held"),
        (lambda: unit("", "9"), "non-empty"),
        (lambda: build_roster([unit("P-1", "9", usage="parking")]), "no unit counts"),
        (
            lambda: build_roster([unit("1-101", "9")], AssemblySettings(scope_buildings=["1"])),
            "has no building",
        ),
        (lambda: Unit.from_areas("1-101", ["a"]), "no registered, surveyed or contract"),
    ],
)
def test_roster_errors_say_what_and_where(make, message: str) -> None:
    with pytest.raises(RosterError, match=message):
        make()


def test_assembly_scope_and_item_scope_use_their_own_totals() -> None:
    units = [
        unit("1-101", "100", ["a"], building="1"),
        unit("2-101", "50", ["a"], building="2"),  # same owner: one head over two buildings
        unit("2-102", "70", ["b"], building="2"),
        unit("3-101", "30", ["c"], building="3"),
    ]
    roster = build_roster(units, AssemblySettings(scope_buildings=["1", "2"]))
    assert roster.excluded == {"3-101": "outside the assembly's buildings"}
    assert (roster.total.heads, roster.total.area) == (2, Decimal("220.00"))
    building_two = roster.scope(frozenset({"2"}))
    assert building_two.total == roster.scope(frozenset({"2"})).total  # cached, same figures
    assert (building_two.total.heads, building_two.total.area) == (2, Decimal("120.00"))
    assert building_two.area_of[roster.head_of_unit["1-101"]] == 5000  # only its building-2 unit
    with pytest.raises(RosterError, match="outside the assembly's scope"):
        roster.scope(frozenset({"3"}))


# -- properties ----------------------------------------------------------------------


@given(communities(), st.booleans())
def test_heads_never_exceed_units_and_totals_are_sums(units, count_parking) -> None:
    settings = AssemblySettings(count_parking=count_parking)
    try:
        roster = build_roster(units, settings)
    except RosterError:
        assert not count_parking and all(u.usage.value == "parking" for u in units)
        return
    assert len(roster.heads) <= len(roster.units) <= len(units)
    assert roster.total.heads == len(roster.heads)
    assert roster.total.area == sum((h.area for h in roster.heads.values()), Decimal(0))
    assert roster.total.area == sum((u.area for u in roster.units.values()), Decimal(0))
    assert sorted(uid for h in roster.heads.values() for uid in h.unit_ids) == sorted(roster.units)


@given(communities())
def test_the_developer_is_one_head_however_many_units(units) -> None:
    roster = build_roster(units, AssemblySettings(count_parking=True))
    developer_units = {u.unit_id for u in units if u.developer_held}
    developer_heads = [h for h in roster.heads.values() if h.developer]
    assert len(developer_heads) == (1 if developer_units else 0)
    if developer_units:
        assert set(developer_heads[0].unit_ids) == developer_units


@given(communities(), st.randoms(use_true_random=False))
def test_unit_order_changes_nothing(units, rng: random.Random) -> None:
    settings = AssemblySettings(count_parking=True)
    shuffled = list(units)
    rng.shuffle(shuffled)
    assert build_roster(units, settings).heads == build_roster(shuffled, settings).heads
