"""A unit sold during the vote: the casting rule (voting.casting.Transfer) agrees with the
pure decision of identity.transfer for every order of seller ballots and transfer."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.transfer import decide
from voting import AssemblySettings, BallotEvent, CastRefused, Channel, RefusalReason, check_cast
from voting.ballots import Choice
from voting.casting import Transfer

SETTINGS = AssemblySettings()
HEAD = "h1"
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _ballot(seq: int, items: list[str], channel=Channel.ELECTRONIC, voter="buyer", agent=None):
    return BallotEvent(seq, HEAD, channel, {i: Choice.AGREE for i in items}, agent,
                       voter if channel is Channel.ELECTRONIC else None)


def test_only_the_buyer_casts_online_after_the_transfer() -> None:
    t = Transfer("buyer", frozenset({"1"}))
    check_cast([], _ballot(5, ["2"]), SETTINGS, transfer=t)
    check_cast([], _ballot(5, ["2"], Channel.PAPER), SETTINGS, transfer=t)  # entered for them
    for event in (_ballot(5, ["2"], voter="seller"), _ballot(5, ["2"], voter="co-seller"),
                  _ballot(5, ["2"], Channel.PROXY, agent="agent-1")):
        with pytest.raises(CastRefused) as refused:
            check_cast([], event, SETTINGS, transfer=t)
        assert refused.value.reason is RefusalReason.UNIT_TRANSFERRED


def test_items_the_seller_voted_on_stay_the_sellers() -> None:
    t = Transfer("buyer", frozenset({"1"}))
    for channel in (Channel.ELECTRONIC, Channel.PAPER):
        with pytest.raises(CastRefused) as refused:
            check_cast([], _ballot(5, ["2", "1"], channel), SETTINGS, transfer=t)
        assert refused.value.reason is RefusalReason.SELLER_VOTED_BEFORE_TRANSFER
        assert refused.value.item_id == "1"


def test_the_buyers_revotes_follow_the_assemblys_policy() -> None:
    once = AssemblySettings(revote="once")
    t = Transfer("buyer", frozenset())
    history = [_ballot(3, ["2"]), _ballot(4, ["2"])]
    with pytest.raises(CastRefused) as refused:
        check_cast(history, _ballot(5, ["2"]), once, transfer=t)
    assert refused.value.reason is RefusalReason.REVOTE_ALREADY_USED


@given(
    seller=st.lists(st.tuples(st.integers(0, 100), st.sampled_from(["1", "2", "3"])),
                    max_size=6),
    at=st.integers(0, 100),
    buyer_items=st.sets(st.sampled_from(["1", "2", "3"]), min_size=1),
)
def test_agrees_with_the_pure_decision_per_item(seller, at, buyer_items) -> None:
    """The ledger keeps the seller's ballots from before the transfer (later ones are
    voided) and locks their items; the buyer's ballot is accepted exactly when, for every
    item in it, ``identity.transfer.decide`` says the buyer votes."""
    transferred_at = T0 + dt.timedelta(minutes=at)
    kept = {item for minute, item in seller if minute < at}
    transfer = Transfer("buyer", frozenset(kept))
    buyer_decides = all(
        decide(transferred_at, [T0 + dt.timedelta(minutes=m) for m, i in seller if i == item]
               ).voter == "buyer"
        for item in buyer_items)
    try:
        check_cast([], _ballot(50, sorted(buyer_items)), SETTINGS, transfer=transfer)
        accepted = True
    except CastRefused as exc:
        assert exc.reason is RefusalReason.SELLER_VOTED_BEFORE_TRANSFER
        accepted = False
    assert accepted == buyer_decides


@given(
    seller=st.lists(st.tuples(st.integers(0, 99), st.sets(st.sampled_from(["1", "2", "3"]),
                                                          min_size=1)), max_size=5),
    buyer=st.lists(st.sets(st.sampled_from(["1", "2", "3"]), min_size=1), max_size=5),
)
def test_what_counts_is_the_laws_answer_per_item(seller, buyer) -> None:
    """The seller votes before the transfer (at minute 100), the buyer after it; with the
    casting rules deciding and the last accepted ballot counting, each item is counted from
    the seller's last ballot before the transfer when ``decide`` says the seller votes,
    else from the buyer's last ballot on it that the rules could accept."""
    at = T0 + dt.timedelta(minutes=100)
    seller = sorted(seller, key=lambda b: b[0])
    counted: dict[str, int] = {}
    history: list[BallotEvent] = []
    for n, (_minute, items) in enumerate(seller):
        event = _ballot(n + 1, sorted(items), voter="seller")
        check_cast(history, event, SETTINGS)  # one owner revoting before the transfer
        history.append(event)
        counted.update(dict.fromkeys(items, n + 1))
    transfer = Transfer("buyer", frozenset(i for _m, items in seller for i in items))
    after: list[BallotEvent] = []
    for n, items in enumerate(buyer):
        event = _ballot(100 + n, sorted(items))
        try:
            check_cast(after, event, SETTINGS, transfer=transfer)
        except CastRefused:
            continue
        after.append(event)
        counted.update(dict.fromkeys(items, 100 + n))

    for item in ("1", "2", "3"):
        times = [T0 + dt.timedelta(minutes=m) for m, items in seller if item in items]
        decision = decide(at, times)
        if decision.voter == "seller":
            last = max(n + 1 for n, (_m, items) in enumerate(seller) if item in items)
            assert counted[item] == last
        else:
            free = [100 + n for n, items in enumerate(buyer) if not items & transfer.locked]
            expected = [n for n in free if item in buyer[n - 100]]
            assert counted.get(item) == (expected[-1] if expected else None)
