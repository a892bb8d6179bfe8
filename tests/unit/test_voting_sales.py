"""A unit sold out of a multi-unit head during the vote: the pure split (voting.sales) and
the counting engine applying it (voting.counting.Counting.sell), docs/rules.md §7.7."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting import AssemblySettings, CastRefused, Channel, RefusalReason
from voting.ballots import Choice
from voting.counting import Counting
from voting.heads import Roster, Unit, build_roster, head_id_for
from voting.items import Item
from voting.sales import (
    Sale,
    SaleReason,
    SaleRefused,
    item_rosters,
    new_head_id,
    split,
    tally_with_sales,
)

SETTINGS = AssemblySettings()


def _roster() -> Roster:
    """The developer holds D-1, D-2, D-3; Wang holds W-1 and W-2; Li holds L-1."""
    return build_roster([
        Unit("D-1", frozenset(), Decimal("80.00"), developer_held=True, building="1"),
        Unit("D-2", frozenset(), Decimal("90.50"), developer_held=True, building="2"),
        Unit("D-3", frozenset(), Decimal("100.25"), developer_held=True, building="2"),
        Unit("W-1", {"wang"}, Decimal("70.00"), building="1"),
        Unit("W-2", {"wang"}, Decimal("30.01"), building="2"),
        Unit("L-1", {"li"}, Decimal("60.00"), building="1"),
    ])


DEV = head_id_for(["D-1", "D-2", "D-3"])
WANG = head_id_for(["W-1", "W-2"])
LI = head_id_for(["L-1"])


def test_a_sold_unit_becomes_a_head_of_its_own() -> None:
    roster = _roster()
    after = split(roster, DEV, "D-2", new_head_id("D-2"))
    assert after.heads[DEV].unit_ids == ("D-1", "D-3")
    assert after.heads[DEV].area == Decimal("180.25")
    assert after.heads[DEV].developer
    buyer = after.heads[new_head_id("D-2")]
    assert (buyer.unit_ids, buyer.area, buyer.developer) == (("D-2",), Decimal("90.50"), False)
    assert after.head_of_unit["D-2"] == buyer.head_id
    assert after.total.heads == roster.total.heads + 1
    assert after.total.area == roster.total.area
    assert after.scope(frozenset({"2"})).area_of[DEV] == 10025


def test_a_buyer_who_already_owns_units_stays_one_owner() -> None:
    roster = _roster()
    after = split(roster, DEV, "D-1", LI)
    assert after.heads[LI].unit_ids == ("D-1", "L-1")
    assert after.heads[LI].area == Decimal("140.00")
    assert after.total.heads == roster.total.heads


def test_a_unit_not_in_the_sellers_head_is_refused() -> None:
    with pytest.raises(SaleRefused) as refused:
        split(_roster(), DEV, "W-1", new_head_id("W-1"))
    assert refused.value.reason is SaleReason.UNIT_NOT_IN_HEAD
    with pytest.raises(SaleRefused) as refused:
        split(_roster(), "h-nobody", "W-1", new_head_id("W-1"))
    assert refused.value.reason is SaleReason.UNKNOWN_HEAD
    with pytest.raises(SaleRefused) as refused:
        split(_roster(), WANG, "W-1", WANG)
    assert refused.value.reason is SaleReason.BUYER_IS_SELLER


def test_the_last_unit_sold_leaves_the_seller_no_head() -> None:
    roster = split(_roster(), WANG, "W-1", new_head_id("W-1"))
    roster = split(roster, WANG, "W-2", LI)
    assert WANG not in roster.heads
    assert roster.total.heads == _roster().total.heads  # Wang out, W-1's buyer in


def test_items_the_seller_voted_on_keep_the_head_whole() -> None:
    roster = _roster()
    sale = Sale(DEV, "D-2", new_head_id("D-2"), frozenset({"a"}))
    rosters = item_rosters(roster, [sale], ["a", "b"])
    assert rosters["a"] is roster
    assert rosters["b"].heads[DEV].area == Decimal("180.25")


units = st.lists(st.integers(1, 10**9), min_size=1, max_size=6)


@given(hundredths=units, sold=st.integers(0, 5), merge=st.booleans(),
       others=st.integers(1, 10**9))
def test_area_is_conserved_and_heads_follow_the_rule(
        hundredths: list[int], sold: int, merge: bool, others: int) -> None:
    """seller_remaining + sold == original, exactly; a new buyer is one head more, a
    buyer who already owns units none; a seller left with nothing is one head less."""
    sold %= len(hundredths)
    roster = build_roster(
        [Unit(f"S-{i}", {"seller"}, Decimal(h) / 100) for i, h in enumerate(hundredths)]
        + [Unit("B-1", {"buyer"}, Decimal(others) / 100)])
    seller = head_id_for([f"S-{i}" for i in range(len(hundredths))])
    buyer_head = head_id_for(["B-1"]) if merge else new_head_id(f"S-{sold}")
    if buyer_head == seller:  # a one-unit head is sold whole (a plain transfer)
        with pytest.raises(SaleRefused):
            split(roster, seller, f"S-{sold}", buyer_head)
        return
    after = split(roster, seller, f"S-{sold}", buyer_head)
    remaining = after.heads[seller].hundredths if seller in after.heads else 0
    gained = after.heads[buyer_head].hundredths - (others if merge else 0)
    assert remaining + gained == roster.heads[seller].hundredths
    assert gained == hundredths[sold]
    assert after.total.area == roster.total.area
    expected = roster.total.heads + (0 if merge else 1) - (0 if len(hundredths) > 1 else 1)
    assert after.total.heads == expected
    assert (seller in after.heads) == (len(hundredths) > 1)
    assert sum(h.hundredths for h in after.heads.values()) == sum(hundredths) + others


ITEMS = {"a": Item.motion("a", 9), "b": Item.motion("b", 9),
         "lift": Item.motion("lift", 5, buildings=["2"])}


def _counting() -> Counting:
    return Counting(SETTINGS, ITEMS, _roster())


def test_the_sellers_earlier_ballot_stands_and_the_buyer_votes_the_rest() -> None:
    counting = _counting()
    counting.cast(1, DEV, Channel.PAPER, {"a": Choice.AGREE})
    sale = counting.sell(DEV, "D-2", "buyer-1")
    buyer = sale.buyer_head
    assert sale.locked == frozenset({"a"})
    with pytest.raises(CastRefused) as refused:  # the seller's ballot on "a" stands
        counting.cast(2, DEV, Channel.PAPER, {"a": Choice.OPPOSE})
    assert refused.value.reason is RefusalReason.SOLD_UNIT_VOTE_STANDS
    with pytest.raises(CastRefused) as refused:  # and binds the buyer
        counting.cast(3, buyer, Channel.ELECTRONIC, {"a": Choice.OPPOSE}, voter="buyer-1")
    assert refused.value.reason is RefusalReason.SELLER_VOTED_BEFORE_TRANSFER
    with pytest.raises(CastRefused) as refused:  # only the buyer votes online
        counting.cast(4, buyer, Channel.ELECTRONIC, {"b": Choice.OPPOSE}, voter="someone")
    assert refused.value.reason is RefusalReason.UNIT_TRANSFERRED
    counting.cast(5, buyer, Channel.ELECTRONIC, {"b": Choice.OPPOSE, "lift": Choice.AGREE},
                  voter="buyer-1")
    counting.cast(6, DEV, Channel.PAPER, {"b": Choice.AGREE, "lift": Choice.OPPOSE})
    result = counting.result(ITEMS.values())
    a, b, lift = result.item("a"), result.item("b"), result.item("lift")
    # "a": counted on the roster as it was: the developer whole, one owner
    assert (a.total.heads, a.agree.heads, str(a.agree.area)) == (3, 1, "270.75")
    # "b" and "lift": the sold unit is the buyer's
    assert (b.total.heads, b.agree.heads, str(b.agree.area)) == (4, 1, "180.25")
    assert (b.oppose.heads, str(b.oppose.area)) == (1, "90.50")
    assert (lift.total.heads, str(lift.total.area)) == (3, "220.76")
    assert (str(lift.agree.area), str(lift.oppose.area)) == ("90.50", "100.25")
    assert result.total.heads == 4


def test_a_second_unit_bought_by_the_same_buyer_joins_their_head() -> None:
    counting = _counting()
    first = counting.sell(DEV, "D-2", "buyer-1")
    second = counting.sell(DEV, "D-3", "buyer-1")
    assert first.buyer_head == second.buyer_head
    assert counting.roster is not None
    assert counting.roster.heads[first.buyer_head].unit_ids == ("D-2", "D-3")
    assert counting.roster.total.heads == 4


def test_a_buyer_already_in_the_roster_merges_and_keeps_voting() -> None:
    counting = _counting()
    counting.cast(1, LI, Channel.PAPER, {"b": Choice.AGREE})
    counting.sell(WANG, "W-2", "li-ref", buyer_head=LI)
    result = counting.result(ITEMS.values())
    b = result.item("b")
    assert (b.total.heads, str(b.agree.area)) == (3, "90.01")
    lift = result.item("lift")  # Li now holds area in building 2
    assert LI in counting.roster.scope(frozenset({"2"})).area_of  # type: ignore[union-attr]
    assert lift.total.heads == 2  # the developer and Li (W-2 was Wang's only unit there)


def test_a_seller_who_sold_every_unit_no_longer_votes() -> None:
    counting = _counting()
    counting.sell(WANG, "W-1", "b1")
    counting.sell(WANG, "W-2", "b2")
    with pytest.raises(CastRefused) as refused:
        counting.cast(1, WANG, Channel.PAPER, {"b": Choice.AGREE})
    assert refused.value.reason is RefusalReason.UNIT_TRANSFERRED


def test_tally_with_no_sale_is_the_plain_tally() -> None:
    from voting.tally import tally
    roster = _roster()
    votes = {(DEV, "a"): Choice.AGREE}
    assert tally_with_sales(roster, ITEMS.values(), votes, SETTINGS).to_json() == \
        tally(roster, ITEMS.values(), votes, SETTINGS).to_json()


ops = st.lists(st.one_of(
    st.tuples(st.just("vote"), st.sampled_from(["D-1", "D-2", "D-3", "W-1", "W-2", "L-1"]),
              st.sampled_from(sorted(ITEMS)), st.sampled_from([Choice.AGREE, Choice.OPPOSE])),
    st.tuples(st.just("sell"), st.sampled_from(["D-1", "D-2", "D-3", "W-1", "W-2"]),
              st.sampled_from(["b1", "b2", "li"]), st.just(None)),
), max_size=25)


@given(ops)
def test_any_order_of_sales_and_ballots_counts_every_area_once(plan) -> None:
    """Whatever the order of sales and ballots, the tally counts: each item's total area is
    the community's, no vote is left without a head, and no head voted twice."""
    counting = _counting()
    frozen = _roster()
    for seq, (op, unit, what, choice) in enumerate(plan, start=1):
        assert counting.roster is not None
        head = counting.roster.head_of_unit[unit]
        if op == "sell":
            try:
                counting.sell(frozen.head_of_unit[unit], unit, what,
                              LI if what == "li" else None)
            except SaleRefused:
                pass
            continue
        voter = next(iter(t.buyer for h, t in counting.transfers.items() if h == head), None)
        try:
            counting.cast(seq, head, Channel.ELECTRONIC, {what: choice}, voter=voter)
        except CastRefused:
            pass
    result = counting.result(ITEMS.values())
    whole = frozen.total.area
    for item in result.items:
        if item.item.buildings is None:
            assert item.total.area == whole
        assert item.participating.heads <= item.total.heads
    assert result.total.area == whole
