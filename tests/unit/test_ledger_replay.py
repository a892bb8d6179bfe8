"""The verifier's bounded per-head state decides exactly as the full history would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from voting.ballots import BallotEvent, Channel, Choice
from voting.casting import check_cast
from voting.errors import CastRefused
from voting.headhistory import HeadState, prune
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


# -- the replayer's memo of accepted casts changes no decision -------------------------------

import hashlib  # noqa: E402

from ledger import replay, synthetic  # noqa: E402
from ledger.entries import Entry  # noqa: E402
from ledger.kinds import KEY_ENROLLED, OFFICIAL_ENROLLED, PAPER_BALLOT, PUBLISHED  # noqa: E402
from voting import counting  # noqa: E402

casts = st.lists(
    st.tuples(
        st.integers(0, 3),  # head
        st.booleans(),  # paper?
        st.dictionaries(
            st.sampled_from(["1", "2"]),
            st.sampled_from(["agree", "oppose"]),
            min_size=1,
            max_size=2,
        ),
        st.booleans(),  # second device (another co-owner)?
    ),
    max_size=40,
)


def _replay(plan, settings_: dict, memo: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(counting, "MAX_MEMO", 200_000 if memo else 0)
    rdata, heads = synthetic.roster(6)
    adoc = synthetic.assembly_doc(items=2, settings=settings_)
    origin = "o/x/assembly/1"
    r = replay.Replayer("log+00000000+AQ", rdata, set())
    r.feed(
        Entry(
            0,
            bytes(32),
            0,
            PUBLISHED,
            {
                "origin": origin,
                "assembly": adoc,
                "roster_sha256": hashlib.sha256(rdata).hexdigest(),
                "log_key": "log+00000000+AQ",
            },
        )
    )
    r.feed(
        Entry(
            1,
            bytes(32),
            0,
            OFFICIAL_ENROLLED,
            {
                "payload": {
                    "origin": origin,
                    "official": "0" * 64,
                    "spki": "",
                    "role": "committee",
                    "ref": "s",
                }
            },
        )
    )
    index = 2
    for h in range(4):
        for d in range(2):
            r.feed(
                Entry(
                    index,
                    bytes(32),
                    0,
                    KEY_ENROLLED,
                    {
                        "payload": {
                            "origin": origin,
                            "head": heads[h],
                            "key": f"{h}{d}".ljust(64, "0"),
                            "spki": "",
                            "role": "owner",
                            "agent": None,
                            "voter": f"v{h}{d}",
                        }
                    },
                )
            )
            index += 1
    seq = dict.fromkeys(range(4), 0)
    for h, paper, choices, second in plan:
        seq[h] += 1
        t = synthetic.OPENS + index
        if paper:
            r.feed(
                Entry(
                    index,
                    bytes(32),
                    t,
                    PAPER_BALLOT,
                    {
                        "payload": {
                            "origin": origin,
                            "head": heads[h],
                            "official": "0" * 64,
                            "seq": seq[h],
                            "nonce": "A" * 22,
                            "choices": choices,
                            "scan_sha256": "0" * 64,
                        }
                    },
                )
            )
        else:
            r.ballot(
                index, t, heads[h], f"{h}{int(second)}".ljust(64, "0"), seq[h], choices, origin
            )
        index += 1
    return r.failures, r.votes


@settings(max_examples=80, deadline=None)
@given(
    casts,
    st.sampled_from(["none", "once", "until_close"]),
    st.sampled_from(["first_cast", "paper", "electronic"]),
)
def test_memo_of_accepted_casts_changes_nothing(plan, revote, precedence) -> None:
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        s = {"revote": revote, "precedence": precedence}
        assert _replay(plan, s, True, mp) == _replay(plan, s, False, mp)
