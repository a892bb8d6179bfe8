"""Election settings (committee size, ranking, 差额选举), statuses, invalid ballots and the
further round (另行选举): properties over random approvals, and the cases by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.rosters import roster_of, vote_units
from voting import (
    Approval,
    AssemblySettings,
    BallotEvent,
    CastRefused,
    Channel,
    Choice,
    ElectionRuleProblem,
    ElectionStatus,
    Item,
    Ranking,
    RefusalReason,
    SettingsError,
    check_cast,
    election_rule_problem,
    further_round,
    further_round_of,
    tally,
)
from voting.election import elect
from voting.errors import TallyFileError
from voting.tallyfile import parse

A = Approval.of
NAMES = "abcdefg"


def key_of(ranking: Ranking, approvals: dict[str, tuple[int, int]], candidate: str):
    area, heads = approvals[candidate]
    return (area, heads) if ranking is Ranking.AREA_THEN_HEADS else (heads, area)


@st.composite
def elections(draw: st.DrawFn):
    """Candidates, seats, participation and per-candidate approvals within it."""
    count = draw(st.integers(1, len(NAMES)))
    candidates = NAMES[:count]
    seats = draw(st.integers(1, count))
    p_heads = draw(st.integers(1, 12))
    p_area = draw(st.integers(p_heads, 5000))
    # few distinct values, so equal candidates (ties) are common
    approvals = {c: (draw(st.sampled_from([0, p_area // 3, p_area // 2 + 1, p_area])),
                     draw(st.sampled_from([0, p_heads // 2, p_heads // 2 + 1, p_heads])))
                 for c in candidates}
    total = (p_area + draw(st.integers(0, 3000)), p_heads + draw(st.integers(0, 6)))
    quorum = 3 * p_area >= 2 * total[0] and 3 * p_heads >= 2 * total[1]
    return (Item.election("e", list(candidates), seats), total, (p_area, p_heads), approvals,
            quorum, draw(st.sampled_from(list(Ranking))))


@settings(max_examples=300, deadline=None)
@given(elections())
def test_ranking_and_status_properties(case) -> None:
    item, total, participating, approvals, quorum, ranking = case
    result = elect(item, total, participating, approvals, quorum, ranking)
    p_area, p_heads = participating
    qualified = {c for c, (area, heads) in approvals.items()
                 if quorum and 2 * area > p_area and 2 * heads > p_heads}
    elected, tie = set(result.elected), set(result.tie)
    assert elected <= qualified and tie <= qualified and not elected & tie
    assert len(result.elected) <= item.seats
    assert result.unfilled_seats == item.seats - len(result.elected)
    key = lambda c: key_of(ranking, approvals, c)  # noqa: E731
    # everyone elected ranks strictly above every qualified candidate left out
    for winner in elected:
        for other in qualified - elected:
            assert key(winner) > key(other)
    # a tie: an equal group that would overfill the seats; it elects nobody
    if tie:
        assert len({key(c) for c in tie}) == 1
        assert len(tie) > result.tie_seats == item.seats - len(elected) > 0
        assert not qualified - elected - tie or max(key(c) for c in qualified - elected - tie) \
            < key(next(iter(tie)))
    # the candidates are listed in rank order
    keys = [key(c.candidate) for c in result.candidates]
    assert keys == sorted(keys, reverse=True)
    # the status names exactly what happened
    expected = (ElectionStatus.QUORUM_NOT_MET if not quorum
                else ElectionStatus.TIE_FOR_LAST_SEAT if tie
                else ElectionStatus.ELECTED if len(elected) == item.seats
                else ElectionStatus.PARTLY_ELECTED if elected
                else ElectionStatus.FAILED)
    assert result.status is expected
    assert (len(qualified) <= item.seats) == (elected == qualified) or not quorum
    # the further round: the open seats, nobody elected standing again
    again = further_round(result)
    assert further_round_of(result.to_json()) == again  # as the published result says it
    if result.status is ElectionStatus.ELECTED:
        assert again is None
    else:
        assert again is not None and again.seats == result.unfilled_seats > 0
        assert not set(again.candidates) & elected
        assert set(again.candidates) == (tie if tie else set(item.candidates) - elected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["approve", "blank", "invalid", "none"]), min_size=3,
                max_size=9))
def test_invalid_ballots_take_part_and_approve_nobody(marks) -> None:
    areas = {f"u{i}": "10" for i in range(len(marks))}
    roster = roster_of(areas)
    item = Item.election("e", ["x", "y"], 1)
    chosen = {"approve": A("x"), "blank": Approval.of(()), "invalid": Choice.INVALID}
    choices = {f"u{i}": chosen[m] for i, m in enumerate(marks) if m != "none"}
    result = tally(roster, [item], vote_units(roster, "e", choices)).item("e")
    took_part = sum(m != "none" for m in marks)
    invalid = marks.count("invalid")
    assert result.participating.heads == took_part
    assert result.election is not None and result.election.invalid.heads == invalid
    by_name = {c.candidate: c for c in result.election.candidates}
    assert by_name["x"].agree.heads == marks.count("approve") and by_name["y"].agree.heads == 0
    assert result.agree.heads == marks.count("approve")
    assert result.abstain.heads == marks.count("blank")
    assert result.passed is (result.election.status is ElectionStatus.ELECTED)


def test_invalid_ballots_reach_the_quorum_but_weigh_against_every_candidate() -> None:
    roster = roster_of({k: "10" for k in "abcdef"})
    item = Item.election("e", ["x", "y"], 1)
    choices = {"a": A("x"), "b": A("x"), "c": A("x"), "d": Choice.INVALID}
    result = tally(roster, [item], vote_units(roster, "e", choices)).item("e")
    assert result.quorum_met  # 4 of 6 took part, one of them on an invalid ballot
    assert result.election is not None and result.election.elected == ("x",)  # 3 of 4
    choices["e"] = choices["f"] = Choice.INVALID  # x: 3 of 6, not more than half
    result = tally(roster, [item], vote_units(roster, "e", choices)).item("e")
    assert result.election is not None and result.election.status is ElectionStatus.FAILED
    assert result.to_json()["election"]["invalid"] == {"area": "30.00", "heads": 3}


def test_only_a_paper_ballot_can_be_invalid_and_only_on_an_election() -> None:
    roster = roster_of({"a": "10"})
    head = roster.head_of_unit["a"]
    items = {"e": Item.election("e", ["x"], 1), "m": Item.motion("m", 1)}
    paper = BallotEvent(1, head, Channel.PAPER, {"e": Choice.INVALID})
    check_cast([], paper, AssemblySettings(), items=items, roster=roster)
    for event in (BallotEvent(1, head, Channel.ELECTRONIC, {"e": Choice.INVALID}),
                  BallotEvent(1, head, Channel.PAPER, {"m": Choice.INVALID})):
        with pytest.raises(CastRefused) as refused:
            check_cast([], event, AssemblySettings(), items=items, roster=roster)
        assert refused.value.reason is RefusalReason.INVALID_CHOICE


def test_area_then_heads_ranks_by_area_first() -> None:
    item = Item.election("e", ["x", "y", "z"], 2)
    # 7 owners and 130 m² took part; all three have more than half of both
    approvals = {"x": (8000, 6), "y": (9000, 5), "z": (12000, 4)}
    by_heads = elect(item, (13000, 7), (13000, 7), approvals, True)
    by_area = elect(item, (13000, 7), (13000, 7), approvals, True, Ranking.AREA_THEN_HEADS)
    assert by_heads.elected == ("x", "y") and by_area.elected == ("z", "y")
    assert by_area.to_json()["ranking"] == "area_then_heads"
    # equal on the first key: the second decides, under either rule
    level = {"x": (8000, 5), "y": (9000, 5), "z": (9000, 4)}
    assert elect(item, (13000, 7), (13000, 7), level, True).elected == ("y", "x")
    assert elect(item, (13000, 7), (13000, 7), level, True,
                 Ranking.AREA_THEN_HEADS).elected == ("y", "z")


@pytest.mark.parametrize("size", [5, 7, 9, 11])
def test_committee_size_is_odd_from_5_to_11(size: int) -> None:
    assert AssemblySettings(committee_size=size).committee_size == size


@pytest.mark.parametrize("size", [3, 4, 6, 10, 13, True, "7"])
def test_other_committee_sizes_are_refused(size) -> None:
    with pytest.raises(SettingsError, match="committee_size"):
        AssemblySettings.from_dict({"committee_size": size})


def test_election_settings_round_trip_and_are_written_only_when_set() -> None:
    plain = AssemblySettings()
    assert not {"committee_size", "ranking", "competitive_elections"} & set(plain.to_dict())
    chosen = AssemblySettings(committee_size=7, ranking=Ranking.AREA_THEN_HEADS,
                              competitive_elections=True)
    data = chosen.to_dict()
    assert data["committee_size"] == 7 and data["ranking"] == "area_then_heads"
    assert data["competitive_elections"] is True
    assert AssemblySettings.from_dict(data) == chosen
    with pytest.raises(SettingsError, match="ranking"):
        AssemblySettings.from_dict({"ranking": "alphabetical"})


def test_election_items_must_fit_the_election_settings() -> None:
    sized = AssemblySettings(committee_size=5)
    assert election_rule_problem(5, 5, sized) is None
    assert election_rule_problem(7, 9, sized) is ElectionRuleProblem.SEATS_OVER_COMMITTEE_SIZE
    competitive = AssemblySettings(competitive_elections=True)
    assert election_rule_problem(5, 5, competitive) is ElectionRuleProblem.NOT_COMPETITIVE
    assert election_rule_problem(5, 6, competitive) is None
    assert election_rule_problem(11, 11, AssemblySettings()) is None


@pytest.mark.parametrize(("settings", "seats", "candidates", "where"), [
    ({"committee_size": 5}, 7, "abcdefgh", "items[0].seats"),
    ({"competitive_elections": True}, 2, "ab", "items[0].candidates"),
])
def test_a_tally_file_applies_the_election_settings(settings, seats, candidates,
                                                    where) -> None:
    data = {"units": [{"unit": "a", "owners": ["1"], "registered_area": "10.00"}],
            "items": [{"id": "e", "type": "election", "candidates": list(candidates),
                       "seats": seats}],
            "ballots": [], "settings": settings}
    with pytest.raises(TallyFileError) as refused:
        parse(data)
    assert str(refused.value).startswith(where)
    parse({**data, "settings": {}})  # the same item without those settings
