"""Casting rules: each revote and precedence policy, proxies, co-owners, refusals, replay."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.rosters import ABSTAIN, AGREE, OPPOSE, unit
from voting import (
    Approval,
    AssemblySettings,
    BallotEvent,
    CastRefused,
    Channel,
    Item,
    RefusalReason,
    build_roster,
    check_cast,
    effective_votes,
    replay,
)
from voting.casting import unit_voter

ROSTER = build_roster(
    [
        unit("1-101", "90", ["a"], building="1"),
        unit("1-102", "80", ["b"], building="1"),
        unit("2-101", "70", ["c"], building="2"),
        unit("2-102", "60", ["d"], building="2"),
        unit("2-103", "50", ["e"], building="2"),
    ]
)
H = {uid: ROSTER.head_of_unit[uid] for uid in ROSTER.units}
ITEMS = {
    "rules": Item.motion("rules", 1),
    "lift": Item.motion("lift", 5, buildings=["2"]),
    "committee": Item.election("committee", ["x", "y", "z"], 2),
}
E, P, X = Channel.ELECTRONIC, Channel.PAPER, Channel.PROXY
DEFAULT = AssemblySettings()


def ev(seq: int, unit_id: str, channel: Channel = E, agent=None, voter=None, **choices):
    return BallotEvent(seq, H[unit_id], channel, choices, agent=agent, voter=voter)


def refused(history, new, settings=DEFAULT, **kwargs) -> RefusalReason:
    with pytest.raises(CastRefused) as info:
        check_cast(history, new, settings, items=ITEMS, roster=ROSTER, **kwargs)
    assert info.value.message  # always says why in words
    return info.value.reason


def accepted(history, new, settings=DEFAULT, **kwargs) -> None:
    check_cast(history, new, settings, items=ITEMS, roster=ROSTER, **kwargs)


# -- revote policies -----------------------------------------------------------------


def test_until_close_is_the_default_and_the_last_counts() -> None:
    events = [ev(i, "1-101", rules=c) for i, c in enumerate([AGREE, OPPOSE, ABSTAIN, OPPOSE])]
    assert effective_votes(events, AssemblySettings(), items=ITEMS, roster=ROSTER) == {
        (H["1-101"], "rules"): OPPOSE
    }


def test_revote_none_refuses_a_second_ballot_on_the_same_item_only() -> None:
    none = AssemblySettings(revote="none")
    first = ev(1, "2-101", rules=AGREE)
    assert refused([first], ev(2, "2-101", rules=OPPOSE), none) is RefusalReason.REVOTE_NOT_ALLOWED
    accepted([first], ev(2, "2-101", lift=AGREE), none)  # a new item is not a revote
    # a ballot is refused as a whole when one of its items was already voted on
    both = ev(2, "2-101", lift=AGREE, rules=OPPOSE)
    assert refused([first], both, none) is RefusalReason.REVOTE_NOT_ALLOWED


def test_revote_once_allows_one_change() -> None:
    once = AssemblySettings(revote="once")
    history = [ev(1, "1-101", rules=AGREE)]
    accepted(history, ev(2, "1-101", rules=OPPOSE), once)
    history.append(ev(2, "1-101", rules=OPPOSE))
    reason = refused(history, ev(3, "1-101", rules=AGREE), once)
    assert reason is RefusalReason.REVOTE_ALREADY_USED


# -- paper and electronic ------------------------------------------------------------


def test_first_cast_refuses_the_second_form_with_a_clear_reason() -> None:
    online = [ev(1, "1-101", rules=AGREE)]
    reason = refused(online, ev(2, "1-101", P, rules=OPPOSE))
    assert reason is RefusalReason.ELECTRONIC_ALREADY_COUNTED
    paper = [ev(1, "1-101", P, rules=AGREE)]
    assert refused(paper, ev(2, "1-101", rules=OPPOSE)) is RefusalReason.PAPER_ALREADY_COUNTED
    with pytest.raises(CastRefused, match="the first ballot stands"):
        check_cast(paper, ev(2, "1-101", rules=OPPOSE), AssemblySettings())


def test_paper_precedence_replaces_electronic_but_not_the_reverse() -> None:
    settings = AssemblySettings(precedence="paper", revote="none")
    events = [ev(1, "1-101", rules=AGREE), ev(2, "1-101", P, rules=OPPOSE)]
    assert effective_votes(events, settings, items=ITEMS, roster=ROSTER) == {
        (H["1-101"], "rules"): OPPOSE
    }
    reason = refused(events, ev(3, "1-101", rules=AGREE), settings)
    assert reason is RefusalReason.PAPER_ALREADY_COUNTED
    # the revote policy still governs a second paper ballot
    assert refused(events, ev(3, "1-101", P, rules=AGREE), settings) is (
        RefusalReason.REVOTE_NOT_ALLOWED
    )


def test_electronic_precedence_replaces_paper_but_not_the_reverse() -> None:
    settings = AssemblySettings(precedence="electronic")
    events = [ev(1, "1-101", P, rules=AGREE), ev(2, "1-101", X, agent="ag", rules=OPPOSE)]
    assert effective_votes(events, settings, items=ITEMS, roster=ROSTER) == {
        (H["1-101"], "rules"): OPPOSE
    }
    reason = refused(events, ev(3, "1-101", P, rules=AGREE), settings)
    assert reason is RefusalReason.ELECTRONIC_ALREADY_COUNTED


# -- proxies and co-owners -----------------------------------------------------------


def test_proxy_cap_per_agent() -> None:
    settings = AssemblySettings(proxy_cap=2)
    represented = {H["1-101"], H["1-102"]}
    new = ev(5, "2-101", X, agent="ag", rules=AGREE)
    assert refused([], new, settings, agent_heads=represented) is RefusalReason.PROXY_CAP_EXCEEDED
    again = ev(5, "1-101", X, agent="ag", rules=AGREE)  # an owner already represented
    accepted([], again, settings, agent_heads=represented)
    accepted([], new, AssemblySettings(proxy_cap=None), agent_heads=represented)
    assert refused([], new, AssemblySettings(proxy_cap=0)) is RefusalReason.PROXY_NOT_ALLOWED
    assert refused([], ev(5, "2-101", X, rules=AGREE)) is RefusalReason.PROXY_WITHOUT_AGENT


def test_default_cap_of_three_in_replay() -> None:
    events = [ev(i, uid, X, agent="ag", rules=AGREE) for i, uid in enumerate(sorted(H))]
    result = replay(events, AssemblySettings(), items=ITEMS, roster=ROSTER)
    assert len(result.votes) == 3
    assert [r.reason for _e, r in result.refused] == [RefusalReason.PROXY_CAP_EXCEEDED] * 2


def test_a_second_co_owner_is_told_someone_already_votes() -> None:
    first = ev(1, "1-101", voter="co-1", rules=AGREE)
    second = ev(2, "1-101", voter="co-2", rules=OPPOSE)
    assert refused([first], second) is RefusalReason.CO_OWNER_ALREADY_VOTED
    accepted([first], ev(2, "1-101", voter="co-1", rules=OPPOSE))  # the same one may revote
    accepted([first], second, representative="co-2")  # the committee recorded co-2
    assert refused([], first, representative="co-2") is RefusalReason.CO_OWNER_ALREADY_VOTED


def test_only_the_representative_votes_on_every_channel() -> None:
    """The co-owner rule holds for paper and proxy ballots too (issue 16 item 2)."""
    online = ev(1, "1-101", voter="co-1", rules=AGREE)
    # a proxy signed by another co-owner does not replace the representative's ballot
    proxy = ev(2, "1-101", X, agent="ag", voter="co-2", rules=OPPOSE)
    assert refused([online], proxy) is RefusalReason.CO_OWNER_ALREADY_VOTED
    accepted([online], ev(2, "1-101", X, agent="ag", voter="co-1", rules=OPPOSE))
    # another co-owner's paper ballot, even on an item the representative left blank
    paper = ev(2, "1-101", P, voter="co-2", committee=Approval.of("x"))
    assert refused([online], paper) is RefusalReason.CO_OWNER_ALREADY_VOTED
    accepted([online], ev(2, "1-101", P, voter="co-1", committee=Approval.of("x")))
    # the first ballot naming a co-owner decides, whatever its channel
    first_paper = ev(1, "1-101", P, voter="co-2", rules=AGREE)
    second_online = ev(2, "1-101", voter="co-1", rules=OPPOSE)
    assert refused([first_paper], second_online) is RefusalReason.CO_OWNER_ALREADY_VOTED
    # the committee's record prevails on every channel
    assert refused([], paper, representative="co-1") is RefusalReason.CO_OWNER_ALREADY_VOTED
    accepted([online], paper, representative="co-2")


def test_the_refusal_names_who_votes() -> None:
    online = ev(1, "1-101", voter="co-1", rules=AGREE)
    with pytest.raises(CastRefused) as info:
        check_cast([online], ev(2, "1-101", P, voter="co-2", rules=OPPOSE), DEFAULT)
    assert info.value.voter == "co-1" and "co-1" in info.value.message
    assert unit_voter([online], None) == "co-1"
    assert unit_voter([online], "co-2") == "co-2"
    assert unit_voter([ev(1, "1-101", P, rules=AGREE)], None) is None


def test_replay_keeps_the_representatives_ballot_against_a_proxy() -> None:
    events = [ev(1, "1-101", voter="co-1", rules=AGREE),
              ev(2, "1-101", X, agent="ag", voter="co-2", rules=OPPOSE)]
    result = replay(events, DEFAULT, items=ITEMS, roster=ROSTER)
    assert result.votes == {(H["1-101"], "rules"): AGREE}
    assert [r.reason for _e, r in result.refused] == [RefusalReason.CO_OWNER_ALREADY_VOTED]


# -- what a ballot may contain -------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (BallotEvent(1, "h-nobody", E, {"rules": AGREE}), RefusalReason.UNKNOWN_HEAD),
        (ev(1, "1-101"), RefusalReason.EMPTY_BALLOT),
        (ev(1, "1-101", budget=AGREE), RefusalReason.UNKNOWN_ITEM),
        (ev(1, "1-101", lift=AGREE), RefusalReason.ITEM_OUT_OF_SCOPE),
        (ev(1, "1-101", rules=Approval.of("x")), RefusalReason.INVALID_CHOICE),
        (ev(1, "1-101", committee=AGREE), RefusalReason.INVALID_CHOICE),
        (ev(1, "1-101", committee=Approval.of(["w"])), RefusalReason.UNKNOWN_CANDIDATE),
        (ev(1, "1-101", committee=Approval.of("xyz")), RefusalReason.TOO_MANY_APPROVALS),
    ],
)
def test_ballot_content_refusals(new: BallotEvent, reason: RefusalReason) -> None:
    assert refused([], new) is reason


def test_blank_and_full_election_ballots_are_accepted() -> None:
    accepted([], ev(1, "1-101", committee=Approval.of("xy")))
    accepted([], ev(1, "1-101", committee=Approval.of([])))
    accepted([], ev(1, "1-101", committee=ABSTAIN))


def test_too_many_approvals_message_names_the_seats() -> None:
    with pytest.raises(CastRefused, match="3 candidates approved but only 2 seat") as info:
        check_cast([], ev(1, "1-101", committee=Approval.of("xyz")), DEFAULT, items=ITEMS)
    assert info.value.item_id == "committee"


def test_order_and_other_heads_in_history() -> None:
    assert refused([ev(5, "1-101", rules=AGREE)], ev(5, "1-101", rules=OPPOSE)) is (
        RefusalReason.OUT_OF_ORDER
    )
    none = AssemblySettings(revote="none")
    accepted([ev(1, "1-102", rules=AGREE)], ev(2, "1-101", rules=AGREE), none)


def test_effective_votes_is_strict_and_replay_collects() -> None:
    events = [ev(1, "1-101", rules=AGREE), ev(2, "1-101", P, rules=OPPOSE), ev(3, "1-102")]
    with pytest.raises(CastRefused, match="position 2") as info:
        effective_votes(events, AssemblySettings(), items=ITEMS, roster=ROSTER)
    assert info.value.seq == 2
    result = replay(events, AssemblySettings(), items=ITEMS, roster=ROSTER)
    assert result.counted == {(H["1-101"], "rules"): 1}
    assert [e.seq for e, _r in result.refused] == [2, 3]
    duplicate = [ev(1, "1-101", rules=AGREE), ev(1, "1-102", rules=AGREE)]
    with pytest.raises(CastRefused, match="share sequence position 1"):
        effective_votes(duplicate, AssemblySettings())


# -- properties ----------------------------------------------------------------------

events_st = st.lists(
    st.tuples(
        st.sampled_from(sorted(H)),
        st.sampled_from([E, P, X]),
        st.sampled_from(["ag1", "ag2"]),
        st.dictionaries(st.sampled_from(["rules", "lift"]), st.sampled_from([AGREE, OPPOSE])),
    ),
    max_size=25,
)
settings_st = st.builds(
    AssemblySettings,
    revote=st.sampled_from(["none", "once", "until_close"]),
    precedence=st.sampled_from(["first_cast", "paper", "electronic"]),
    proxy_cap=st.sampled_from([None, 0, 1, 3]),
)


def build_events(raw) -> list[BallotEvent]:
    return [
        BallotEvent(seq, H[uid], channel, choices, agent=agent if channel is X else None)
        for seq, (uid, channel, agent, choices) in enumerate(raw)
    ]


@given(events_st, settings_st, st.randoms(use_true_random=False))
def test_replay_follows_seq_not_input_order(raw, settings, rng: random.Random) -> None:
    events = build_events(raw)
    shuffled = list(events)
    rng.shuffle(shuffled)
    one = replay(events, settings, items=ITEMS, roster=ROSTER)
    two = replay(shuffled, settings, items=ITEMS, roster=ROSTER)
    assert one.votes == two.votes and one.counted == two.counted


@given(events_st, settings_st)
def test_what_counts_is_the_last_accepted_ballot_and_server_agrees(raw, settings) -> None:
    events = build_events(raw)
    result = replay(events, settings, items=ITEMS, roster=ROSTER)
    refused_seqs = {event.seq for event, _reason in result.refused}
    accepted_events = [e for e in events if e.seq not in refused_seqs]
    expected = {}
    for event in accepted_events:
        for item_id, vote in event.choices.items():
            expected[(event.head_id, item_id)] = vote
    assert result.votes == expected
    # the server, deciding one ballot at a time, reaches the same decisions
    for index, event in enumerate(events):
        history = [e for e in events[:index] if e.seq not in refused_seqs]
        agents = {e.head_id for e in history if event.agent and e.agent == event.agent}
        try:
            check_cast(history, event, settings, items=ITEMS, roster=ROSTER, agent_heads=agents)
        except CastRefused:
            assert event.seq in refused_seqs
        else:
            assert event.seq not in refused_seqs
    # under first_cast a head's counted votes on an item never mix paper and electronic
    if settings.precedence.value == "first_cast":
        for (head_id, item_id), seq in result.counted.items():
            forms = {
                e.channel is P
                for e in accepted_events
                if e.head_id == head_id and item_id in e.choices
            }
            assert len(forms) == 1, (head_id, item_id, seq)
