"""The tally: quorum and approval at every boundary, 从众, scopes, errors, JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.support.rosters import (
    ABSTAIN,
    AGREE,
    OPPOSE,
    decide,
    roster_of,
    unit,
    vote_units,
)
from voting import (
    Approval,
    AssemblySettings,
    Item,
    ItemError,
    Matter,
    TallyError,
    build_roster,
    tally,
)

TEN3 = {"a": "10", "b": "10", "c": "10"}


# -- quorum: 3·P ≥ 2·T, each dimension ------------------------------------------------


def test_quorum_exactly_two_thirds_met() -> None:
    result = decide(TEN3, {"a": AGREE, "b": AGREE}).item("m")
    assert result.quorum_met and result.passed
    assert result.participating.heads == 2 and result.total.heads == 3


def test_quorum_area_fails_alone() -> None:
    # T = 30.01 m², P = 20.00: 3·2000 = 6000 < 2·3001 = 6002; heads 3·2 = 6 ≥ 6.
    result = decide({"a": "10", "b": "10", "c": "10.01"}, {"a": AGREE, "b": AGREE}).item("m")
    assert (result.quorum.area_ok, result.quorum.heads_ok) == (False, True)
    assert not result.quorum_met and not result.passed


def test_quorum_heads_fail_alone() -> None:
    # T = 60 m², 3 heads; P = one head with 40 m²: area 120 ≥ 120, heads 3 < 6.
    result = decide({"a": "40", "b": "10", "c": "10"}, {"a": AGREE}).item("m")
    assert (result.quorum.area_ok, result.quorum.heads_ok) == (True, False)
    assert not result.passed
    assert result.approval is not None and result.approval.ok  # approved, but no quorum


# -- ordinary: 2·A > P, each dimension -----------------------------------------------

FOUR = {"a": "10", "b": "10", "c": "10", "d": "10"}


def test_ordinary_exactly_half_fails() -> None:
    result = decide(FOUR, {"a": AGREE, "b": AGREE, "c": OPPOSE, "d": OPPOSE}).item("m")
    assert result.quorum_met and not result.passed
    assert (result.approval.area_ok, result.approval.heads_ok) == (False, False)


def test_ordinary_heads_fail_alone() -> None:
    areas = {"a": "10.01", "b": "10", "c": "10", "d": "10"}
    result = decide(areas, {"a": AGREE, "b": AGREE, "c": OPPOSE, "d": OPPOSE}).item("m")
    assert (result.approval.area_ok, result.approval.heads_ok) == (True, False)
    assert not result.passed


def test_ordinary_area_fails_alone() -> None:
    areas = {"a": "10", "b": "10", "c": "10", "d": "30"}
    result = decide(areas, {"a": AGREE, "b": AGREE, "c": AGREE, "d": OPPOSE}).item("m")
    assert (result.approval.area_ok, result.approval.heads_ok) == (False, True)


def test_abstentions_take_part_and_weigh_against() -> None:
    result = decide(FOUR, {"a": AGREE, "b": AGREE, "c": ABSTAIN}).item("m")
    assert result.participating.heads == 3 and result.abstain.heads == 1
    assert result.passed  # 2 of 3 > 1/2
    special = decide(FOUR, {"a": AGREE, "b": AGREE, "c": ABSTAIN}, Matter.RAISE_FUND).item("m")
    assert not special.passed  # 2 of 3 < 3/4
    assert special.item.threshold.value == "special"


# -- special: 4·A ≥ 3·P, each dimension ----------------------------------------------


def test_special_exactly_three_quarters_passes() -> None:
    result = decide(FOUR, {"a": AGREE, "b": AGREE, "c": AGREE, "d": OPPOSE}, 7).item("m")
    assert result.passed


def test_special_area_fails_alone() -> None:
    areas = {"a": "10", "b": "10", "c": "10", "d": "10.01"}
    result = decide(areas, {"a": AGREE, "b": AGREE, "c": AGREE, "d": OPPOSE}, 7).item("m")
    assert (result.approval.area_ok, result.approval.heads_ok) == (False, True)


def test_special_heads_fail_alone() -> None:
    areas = {"a": "30", "b": "30", "c": "10", "d": "10"}
    result = decide(areas, {"a": AGREE, "b": AGREE, "c": OPPOSE, "d": OPPOSE}, 8).item("m")
    assert (result.approval.area_ok, result.approval.heads_ok) == (True, False)


def test_quorum_is_per_item() -> None:
    roster = roster_of(TEN3)
    items = [Item.motion("x", 1), Item.motion("y", 2)]
    votes = vote_units(roster, "x", {"a": AGREE, "b": AGREE, "c": AGREE})
    votes.update(vote_units(roster, "y", {"a": AGREE}))
    result = tally(roster, items, votes)
    assert result.item("x").passed and not result.item("y").quorum_met


# -- non-voters join the majority (从众) ----------------------------------------------

SIX = {k: "10" for k in "abcdef"}
JOIN = AssemblySettings(non_voters_join_majority=True)


def test_non_voters_join_the_leading_side_after_quorum() -> None:
    # 4 of 6 vote (quorum exactly met): 2 agree, 1 oppose, 1 abstain.  Without
    # 从众: 2 of 4 is not more than half.  With it, 2 non-voters join agree: 4 of 6.
    choices = {"a": AGREE, "b": AGREE, "c": OPPOSE, "d": ABSTAIN}
    assert not decide(SIX, choices).item("m").passed
    result = decide(SIX, choices, settings=JOIN).item("m")
    assert result.passed
    assert result.joined is not None and result.joined.side is AGREE
    assert (result.joined.measure.heads, result.joined.measure.area) == (2, Decimal("20.00"))
    assert result.participating.heads == 4  # what was cast is still reported as cast


def test_non_voters_never_count_toward_quorum() -> None:
    result = decide(SIX, {"a": AGREE, "b": AGREE, "c": AGREE}, settings=JOIN).item("m")
    assert not result.quorum_met and result.joined is None and not result.passed


def test_non_voters_join_oppose_when_it_leads() -> None:
    choices = {"a": OPPOSE, "b": OPPOSE, "c": AGREE, "d": AGREE, "e": OPPOSE}
    result = decide(SIX, choices, settings=JOIN).item("m")
    assert result.joined.side is OPPOSE and not result.passed


def test_no_majority_side_when_dimensions_disagree() -> None:
    areas = {"a": "50", "b": "10", "c": "10", "d": "10", "e": "10", "f": "10"}
    # agree: 1 head/50 m²; oppose: 3 heads/30 m² -> agree leads area, oppose leads heads.
    choices = {"a": AGREE, "b": OPPOSE, "c": OPPOSE, "d": OPPOSE}
    result = decide(areas, choices, settings=JOIN).item("m")
    assert result.quorum_met and result.joined is None and not result.passed


# -- scopes --------------------------------------------------------------------------


def test_building_item_uses_that_buildings_totals() -> None:
    units = [
        unit("1-101", "100", ["a"], building="1"),
        unit("1-102", "100", ["b"], building="1"),
        unit("2-101", "50", ["c"], building="2"),
        unit("2-102", "50", ["d"], building="2"),
        unit("2-103", "50", ["a"], building="2"),  # owner a: one head over two buildings
    ]
    roster = build_roster(units)
    lift = Item.motion("lift", 5, buildings=["2"])
    votes = vote_units(roster, "lift", {"2-101": AGREE, "1-101": AGREE})
    result = tally(roster, [lift], votes).item("lift")
    assert (result.total.heads, result.total.area) == (3, Decimal("150.00"))
    # head a votes with its building-2 area only: 50 + 50 of 150, 2 of 3 heads.
    assert (result.participating.heads, result.participating.area) == (2, Decimal("100.00"))
    assert result.passed
    outsider = vote_units(roster, "lift", {"1-102": AGREE})
    with pytest.raises(TallyError, match="holds no unit in buildings"):
        tally(roster, [lift], outsider)


def test_item_scope_without_units_is_refused() -> None:
    roster = build_roster([unit("1-101", "10", building="1")])
    with pytest.raises(ItemError, match="no counted unit"):
        tally(roster, [Item.motion("lift", 5, buildings=["9"])], {})


# -- errors and JSON -----------------------------------------------------------------


def test_inconsistent_votes_are_refused_with_where() -> None:
    roster = roster_of(TEN3)
    head = roster.head_of_unit["a"]
    items = [Item.motion("m", 1), Item.election("e", ["x", "y"], 1)]
    with pytest.raises(TallyError, match='no item "zz"'):
        tally(roster, items, {(head, "zz"): AGREE})
    with pytest.raises(TallyError, match="no head h-nobody"):
        tally(roster, items, {("h-nobody", "m"): AGREE})
    with pytest.raises(TallyError, match="choose agree, oppose or abstain"):
        tally(roster, items, {(head, "m"): Approval.of(["x"])})
    with pytest.raises(TallyError, match="only 1 seat"):
        tally(roster, items, {(head, "e"): Approval.of(["x", "y"])})
    with pytest.raises(TallyError, match="is an election"):
        tally(roster, items, {(head, "e"): AGREE})
    with pytest.raises(TallyError, match="agree, oppose or abstain"):
        tally(roster, items, {(head, "m"): "agree"})  # a bare string is not a Choice
    with pytest.raises(ItemError, match="listed twice"):
        tally(roster, [Item.motion("m", 1), Item.motion("m", 2)], {})


def test_json_has_exact_decimal_strings() -> None:
    result = decide({"a": "10.05", "b": "0.10", "c": "3"}, {"a": AGREE, "b": OPPOSE})
    data = json.loads(json.dumps(result.to_json()))
    item = data["items"][0]
    assert data["total"] == {"area": "13.15", "heads": 3}
    assert item["agree"] == {"area": "10.05", "heads": 1}
    assert item["oppose"] == {"area": "0.10", "heads": 1}
    assert item["participating"] == {"area": "10.15", "heads": 2}
    assert item["needs"]["quorum"] == {"area": "0.00", "heads": 0, "possible": True}
    assert data["settings"] == AssemblySettings().to_dict()


def test_roster_and_settings_must_match() -> None:
    roster = roster_of(TEN3)
    with pytest.raises(TallyError, match="built under other settings"):
        tally(roster, [Item.motion("m", 1)], {}, AssemblySettings(count_parking=True))
