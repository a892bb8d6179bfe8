"""The verifier's bounded per-head state decides exactly as the full history would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.replay import HeadState, prune
from voting.ballots import BallotEvent, Channel, Choice
from voting.casting import check_cast
from voting.errors import CastRefused
from voting.items import Item
from voting.settings import AssemblySettings

ITEMS = {str(i): Item.motion(str(i), 4) for i in (1, 2, 3)}

events = st.lists(
    st.tuples(
        st.sampled_from([Channel.ELECTRONIC, Channel.PAPER, Channel.PROXY]),
        st.dictionaries(
            st.sampled_from(sorted(ITEMS)), st.sampled_from(list(Choice)), min_size=1, max_size=3
        ),
        st.sampled_from([None, "v1", "v2"]),
    ),
    max_size=40,
)
policies = st.builds(
    AssemblySettings,
    revote=st.sampled_from(["none", "once", "until_close"]),
    precedence=st.sampled_from(["first_cast", "paper", "electronic"]),
    proxy_cap=st.sampled_from([None, 3]),
)


def outcome(history, event, policy, rep):
    try:
        check_cast(history, event, policy, items=ITEMS, representative=rep)
    except CastRefused as exc:
        return exc.reason
    return None


@settings(max_examples=300, deadline=None)
@given(events, policies, st.sampled_from([None, "v1"]))
def test_pruned_state_gives_the_same_decisions(evs, policy, rep) -> None:
    full: list[BallotEvent] = []
    state = HeadState()
    for n, (channel, choices, voter) in enumerate(evs):
        agent = "agent" if channel is Channel.PROXY else None
        voter = None if channel is not Channel.ELECTRONIC else voter
        e = BallotEvent(10 + n, "h-1", channel, choices, agent, voter)
        expected = outcome(full, e, policy, rep)
        assert outcome(state.history, e, policy, rep) == expected
        assert outcome(prune(full), e, policy, rep) == expected
        if expected is None:
            full.append(e)
            state.add(e)
            assert state.history == prune(full)


def test_state_stays_bounded_however_many_ballots() -> None:
    state = HeadState()
    policy = AssemblySettings()
    for n in range(5000):
        e = BallotEvent(
            n, "h-1", Channel.ELECTRONIC, {"1": Choice.AGREE, "2": Choice.OPPOSE}, None, "v1"
        )
        check_cast(state.history, e, policy, items=ITEMS)
        state.add(e)
    assert len(state.history) <= 2 * len(ITEMS) * 2 + 2
