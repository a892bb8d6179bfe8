"""Committee elections: approvals up to the seats, double majority, ranking, honest ties."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.rosters import ABSTAIN, roster_of, vote_units
from voting import Approval, ElectionStatus, Item, ItemError, Matter, tally
from voting.items import ItemSpec

A = Approval.of


def run(areas: dict[str, str], choices: dict[str, object], seats: int, candidates="xyz"):
    roster = roster_of(areas)
    item = Item.election("committee", list(candidates), seats)
    result = tally(roster, [item], vote_units(roster, "committee", choices)).item("committee")
    return result, result.election


FIVE = {k: "10" for k in "abcde"}


def test_qualified_candidates_within_seats_are_all_elected() -> None:
    choices = {
        "a": A("xy"),
        "b": A("xy"),
        "c": A("xy"),
        "d": A("z"),
        "e": ABSTAIN,  # blank ballot: takes part, approves nobody
    }
    result, election = run(FIVE, choices, seats=2)
    assert result.participating.heads == 5 and result.abstain.heads == 1
    assert election.status is ElectionStatus.ELECTED and result.passed
    assert election.elected == ("x", "y")
    by_name = {c.candidate: c for c in election.candidates}
    assert by_name["x"].agree.heads == 3 and by_name["x"].qualified
    assert not by_name["z"].qualified and not by_name["z"].elected
    # z has 1 of 5 heads and would need 5 - 2·1 + 1 = 4 more approving heads, but
    # everybody has voted: impossible.
    assert by_name["z"].needs.to_pass.heads == 4
    assert not by_name["z"].needs.to_pass.possible


def test_exactly_half_does_not_elect() -> None:
    areas = {k: "10" for k in "abcd"}
    choices = {"a": A("x"), "b": A("x"), "c": A("y"), "d": A("y")}
    result, election = run(areas, choices, seats=1)
    assert election.status is ElectionStatus.FAILED and not result.passed


def test_area_majority_needed_too() -> None:
    areas = {"a": "10", "b": "10", "c": "10", "d": "40"}
    choices = {"a": A("x"), "b": A("x"), "c": A("x"), "d": A("y")}  # x: 3 of 4 heads, 30 of 70 m²
    _result, election = run(areas, choices, seats=1)
    assert election.elected == () and election.status is ElectionStatus.FAILED


def test_more_qualified_than_seats_ranks_by_heads_then_area() -> None:
    areas = {"a": "20", "b": "10", "c": "10", "d": "10", "e": "10", "f": "10"}
    choices = {
        "a": A("xy"),
        "b": A("xz"),
        "c": A("yz"),
        "d": A("xy"),
        "e": A("xz"),
        "f": A("yz"),
    }
    # Every candidate: 4 of 6 heads (more than half).  Areas: x = a+b+d+e = 50,
    # y = a+c+d+f = 50, z = b+c+e+f = 40, of 70 (all more than half).  Two seats:
    # equal on heads, x and y are ahead on area; their own equality does not matter.
    _result, election = run(areas, choices, seats=2)
    assert all(c.qualified for c in election.candidates)
    assert election.status is ElectionStatus.ELECTED and election.elected == ("x", "y")
    assert election.tie == ()
    # Heads come before area: z gets a fifth approving head with 0.01 m² and ranks
    # first with 41.01 m² (b now 11 m²); x (4 heads, 51 m²) beats y (4 heads, 50 m²).
    areas.update(b="11", g="0.01")
    choices["g"] = A("z")
    _result, election = run(areas, choices, seats=2)
    assert election.elected == ("z", "x") and election.status is ElectionStatus.ELECTED
    assert [c.candidate for c in election.candidates] == ["z", "x", "y"]
    assert [c.agree.area for c in election.candidates] == [
        Decimal("41.01"),
        Decimal("51.00"),
        Decimal("50.00"),
    ]


def test_unbreakable_tie_is_reported_not_guessed() -> None:
    areas = {k: "10" for k in "abcdef"}
    choices = {
        "a": A("xy"),
        "b": A("xz"),
        "c": A("yz"),
        "d": A("xy"),
        "e": A("xz"),
        "f": A("yz"),
    }
    # x, y, z: 4 of 6 heads and 40 of 60 m² each; three equal candidates, two seats.
    result, election = run(areas, choices, seats=2)
    assert election.status is ElectionStatus.TIE_FOR_LAST_SEAT
    assert election.elected == () and election.tie == ("x", "y", "z")
    assert election.tie_seats == 2 and not result.passed
    assert election.to_json()["tie"] == {"candidates": ["x", "y", "z"], "seats": 2}


def test_tie_for_the_last_seat_elects_those_ahead() -> None:
    areas = {k: "10" for k in "abcdefg"}
    choices = {
        "a": A("wx"),
        "b": A("wx"),
        "c": A("wy"),
        "d": A("wy"),
        "e": A("w"),
        "f": A("xy"),
        "g": A("xy"),
    }
    # w: 5 of 7 heads; x and y: 4 of 7 heads and 40 of 70 m² each: w is elected,
    # x and y tie for the second seat.
    result, election = run(areas, choices, seats=2, candidates="wxy")
    assert election.status is ElectionStatus.TIE_FOR_LAST_SEAT
    assert election.elected == ("w",) and election.tie == ("x", "y") and election.tie_seats == 1
    assert not result.passed  # w is elected, but the last seat is not filled
    assert election.unfilled_seats == 1
    assert [c.elected for c in election.candidates] == [True, False, False]


def test_fewer_qualified_than_seats_is_partly_elected() -> None:
    areas = {k: "10" for k in "abcdef"}
    choices = {
        "a": A("wx"),
        "b": A("wx"),
        "c": A("wy"),
        "d": A("wy"),
        "e": A("w"),
        "f": A("xy"),
    }
    # w: 5 of 6; x and y: 3 of 6 heads, which is not more than half.
    result, election = run(areas, choices, seats=2, candidates="wxy")
    assert election.elected == ("w",) and election.status is ElectionStatus.PARTLY_ELECTED
    assert not result.passed and election.to_json()["unfilled_seats"] == 1


def test_quorum_applies_to_elections() -> None:
    result, election = run(FIVE, {"a": A("x"), "b": A("x"), "c": A("x")}, seats=1)
    assert not result.quorum_met and election.status is ElectionStatus.QUORUM_NOT_MET
    assert election.elected == () and not result.passed
    assert result.needs.quorum.heads == 1 and result.needs.quorum.area == Decimal("3.34")


def test_election_items_are_matter_three() -> None:
    item = Item.election("c", ["x"], 1)
    assert item.matter is Matter.COMMITTEE and item.threshold.value == "ordinary"
    with pytest.raises(ItemError, match="matter 3"):
        Item("c", "ordinary", Matter.RULES, "election", None, ("x",), 1)
    # the committee's draft is refused at once, not only when its notice is published
    with pytest.raises(ItemError, match=r"item 2: an election is matter 3 .*not 9"):
        ItemSpec("选举", 9, kind="election", seats=1, candidates=("甲", "乙")).check(2)
    ItemSpec("选举", 3, kind="election", seats=1, candidates=("甲", "乙")).check(2)
    with pytest.raises(ItemError, match="listed twice"):
        Item.election("c", ["x", "x"], 1)
    with pytest.raises(ItemError, match="seats must be a positive integer"):
        Item.election("c", ["x"], 0)
    with pytest.raises(ItemError, match="only an election"):
        Item("m", "ordinary", None, "motion", None, ("x",), 1)
