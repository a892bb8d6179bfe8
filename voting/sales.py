"""A unit sold during the vote out of a multi-unit head: the pure split (docs/rules.md §7.7).

The frozen roster counts some units together as one owner: one buyer's several units,
or every unit the developer still holds (SPC interpretation art. 9).  When one of those
units is sold during the vote, the law (docs/law.md §4, Beijing practice: the seller's
ballot stands if cast before the transfer, otherwise the buyer votes) splits that head:

* **per item**, the sold unit moves to the buyer *unless* the seller's head had already
  voted on the item before the transfer — there the seller's ballot stands for the head
  as it was when it voted (all its units, one owner), and the buyer does not vote;
* where it moves, the unit's area leaves the seller's head (which keeps the rest, and
  stays one owner while it holds a unit) and joins the buyer's head: a head of its own
  (one more owner; its id is :func:`voting.heads.head_id_for` of the unit), or the head
  the buyer already is (one buyer owning several units is one owner, SPC art. 9: no
  owner more, the area added).

A :class:`Sale` records one such split; :func:`split` applies it to a roster and
:func:`item_rosters` gives each item the roster it is counted on.  Area is moved in
exact hundredths, so ``seller_remaining + sold == original`` always.  The server, the
offline verifier (:mod:`ledger.replay`) and ``ownervote tally`` all call
:func:`tally_with_sales` through :class:`voting.counting.Counting`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from voting.aggregate import item_scopes, participations
from voting.areas import Count
from voting.ballots import Vote
from voting.casting import SellerSale, Transfer
from voting.errors import VotingError
from voting.heads import Head, Roster, Scope, head_id_for
from voting.items import Item
from voting.settings import DEFAULT_SETTINGS, AssemblySettings
from voting.tally import AssemblyResult, tally


class SaleReason(StrEnum):
    """Why a sale cannot split the seller's head (stable codes)."""

    UNKNOWN_HEAD = "unknown_head"  # the seller's head is not in the roster
    UNIT_NOT_IN_HEAD = "unit_not_in_head"  # the unit is not (or no longer) the seller's
    BUYER_IS_SELLER = "buyer_is_seller"  # the buyer's head is the seller's own


class SaleRefused(VotingError):
    """A sale that cannot split the roster; ``reason`` is a :class:`SaleReason`."""

    def __init__(self, reason: SaleReason, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"{reason.value}: {message}")


@dataclass(frozen=True)
class Sale:
    """One unit sold out of ``seller``'s head to the head ``buyer_head``.

    ``locked``: the items the seller's head had voted on before the transfer; on them
    the seller's ballot stands for the unit, which stays in the seller's head.
    """

    seller: str
    unit: str
    buyer_head: str
    locked: frozenset[str] = frozenset()


def new_head_id(unit_id: str) -> str:
    """The id of the head a sold unit becomes when its buyer is not an owner yet."""
    return head_id_for((unit_id,))


def split(roster: Roster, seller: str, unit: str, buyer_head: str) -> Roster:
    """``roster`` with ``unit`` moved from ``seller``'s head to ``buyer_head``.

    The seller's head keeps its id and the rest of its units (it leaves the roster if
    none is left); ``buyer_head`` is created if the roster has no such head (one owner
    more), else the unit's area joins it (no owner more).  Raises :class:`SaleRefused`.
    """
    old = roster.heads.get(seller)
    if old is None:
        raise SaleRefused(SaleReason.UNKNOWN_HEAD, f"no owner {seller} in this assembly")
    if unit not in old.unit_ids:
        raise SaleRefused(SaleReason.UNIT_NOT_IN_HEAD,
                          f"unit {unit} is not one of the units of owner {seller}: "
                          f"{', '.join(old.unit_ids)}")
    if buyer_head == seller:
        raise SaleRefused(SaleReason.BUYER_IS_SELLER,
                          f"the buyer of unit {unit} is its seller's own head {seller}")
    sold = roster.units[unit].hundredths
    heads = dict(roster.heads)
    rest = tuple(u for u in old.unit_ids if u != unit)
    if rest:
        heads[seller] = Head(seller, rest, old.hundredths - sold, old.developer)
    else:
        del heads[seller]
    into = heads.get(buyer_head)
    if into is None:
        heads[buyer_head] = Head(buyer_head, (unit,), sold, False)
    else:
        heads[buyer_head] = Head(buyer_head, tuple(sorted((*into.unit_ids, unit))),
                                 into.hundredths + sold, into.developer)
    head_of_unit = dict(roster.head_of_unit)
    head_of_unit[unit] = buyer_head
    return Roster(
        roster.units,
        MappingProxyType({head_id: heads[head_id] for head_id in sorted(heads)}),
        MappingProxyType(head_of_unit),
        roster.excluded,
        roster.building_scope,
        roster.count_parking,
    )


def apply(roster: Roster, sales: Iterable[Sale]) -> Roster:
    """``roster`` after every sale of ``sales``, in order."""
    for sale in sales:
        roster = split(roster, sale.seller, sale.unit, sale.buyer_head)
    return roster


def item_rosters(roster: Roster, sales: Sequence[Sale],
                 item_ids: Iterable[str]) -> dict[str, Roster]:
    """The roster each item is counted on: every sale applied but those locked on it."""
    if not sales:
        return {item_id: roster for item_id in item_ids}
    built: dict[tuple[int, ...], Roster] = {}
    out = {}
    for item_id in item_ids:
        applied = tuple(i for i, sale in enumerate(sales) if item_id not in sale.locked)
        found = built.get(applied)
        if found is None:
            found = built[applied] = apply(roster, (sales[i] for i in applied))
        out[item_id] = found
    return out


@dataclass(frozen=True)
class SalesState:
    """The sales recorded so far in a vote and what they change for the casting rules.

    ``roster`` is the frozen roster after every sale; ``sellers`` the heads that sold
    units out of themselves (:class:`voting.casting.SellerSale`); ``buyers`` the heads
    the sales made, with who votes for them and the items where every unit they bought
    stays with its seller (:class:`voting.casting.Transfer`); ``sale_heads`` the head
    each such buyer is.  The verifier's :class:`voting.counting.Counting` and the server
    (:mod:`ledger.store.sales`) both fold the log's sales with :func:`record_sale`.
    """

    frozen: Roster
    roster: Roster
    sales: tuple[Sale, ...] = ()
    sellers: Mapping[str, SellerSale] = field(default_factory=dict)
    buyers: Mapping[str, Transfer] = field(default_factory=dict)
    sale_heads: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, roster: Roster) -> SalesState:
        return cls(roster, roster)

    def item_rosters(self, item_ids: Iterable[str]) -> dict[str, Roster]:
        return item_rosters(self.frozen, self.sales, item_ids)


def record_sale(state: SalesState, seller: str, unit: str, buyer: str,
                buyer_head: str | None, seller_items: Iterable[str]) -> SalesState:
    """``state`` after ``unit`` of ``seller``'s head was sold to ``buyer`` (docs/rules.md §7.7).

    ``seller_items``: the items the seller's head has accepted ballots on so far (they
    stay the seller's for the unit).  ``buyer_head``: the head of the frozen roster the
    buyer already is, if any; else the head an earlier sale made the buyer, else a new
    head (:func:`new_head_id`).  Raises :class:`SaleRefused`: the seller must be a head
    of the frozen roster and the unit one of its frozen units not sold yet, so that
    every subset of the sales applies (:func:`item_rosters`).
    """
    frozen = state.frozen.heads.get(seller)
    if frozen is None or unit not in frozen.unit_ids:  # only a unit the roster froze as the
        # seller's (a unit bought during the vote is not sold on in the same vote)
        raise SaleRefused(SaleReason.UNIT_NOT_IN_HEAD if frozen is not None
                          else SaleReason.UNKNOWN_HEAD,
                          f"unit {unit} is not one of the units the roster froze as owner "
                          f"{seller}'s")
    earlier_lock = state.sellers.get(seller)
    locked = frozenset(seller_items) | (earlier_lock.locked if earlier_lock else frozenset())
    into = buyer_head or state.sale_heads.get(buyer) or new_head_id(unit)
    sale = Sale(seller, unit, into, locked)
    roster = split(state.roster, seller, unit, into)
    sellers = {**state.sellers, seller: SellerSale(locked, seller not in roster.heads)}
    buyers, sale_heads = dict(state.buyers), dict(state.sale_heads)
    if buyer_head is None:
        sale_heads[buyer] = into
        earlier = buyers.get(into)
        # a buyer head votes on an item where it holds a unit: it is locked out only of
        # the items where every unit it bought stays with its seller
        buyers[into] = Transfer(buyer, locked if earlier is None else earlier.locked & locked)
    return SalesState(state.frozen, roster, (*state.sales, sale),
                      MappingProxyType(sellers), MappingProxyType(buyers),
                      MappingProxyType(sale_heads))


def tally_with_sales(
    roster: Roster,
    items: Iterable[Item],
    votes: Mapping[tuple[str, str], Vote],
    settings: AssemblySettings = DEFAULT_SETTINGS,
    sales: Sequence[Sale] = (),
) -> AssemblyResult:
    """:func:`voting.tally.tally` of the frozen ``roster`` split by ``sales``.

    Each item is counted on its own roster (:func:`item_rosters`); the community totals
    are those after every sale.
    """
    listed = list(items)
    if not sales:
        return tally(roster, listed, votes, settings)
    per_item = item_rosters(roster, sales, (item.item_id for item in listed))
    return tally(apply(roster, sales), listed, votes, settings, item_rosters=per_item)


def scopes_with_sales(roster: Roster, items: Iterable[Item],
                      sales: Sequence[Sale] = ()) -> tuple[Roster, dict[str, Scope]]:
    """The community roster after ``sales`` and each item's scope, as
    :func:`tally_with_sales` counts them: the weights of a secret tally
    (``ledger.secret.tally``), so both modes count every head with the same area."""
    listed = list(items)
    if not sales:
        return roster, item_scopes(roster, listed)
    per_item = item_rosters(roster, sales, (item.item_id for item in listed))
    return apply(roster, sales), item_scopes(roster, listed, per_item)


def participation_with_sales(roster: Roster, items: Iterable[Item],
                             votes: Mapping[tuple[str, str], object],
                             sales: Sequence[Sale] = ()) -> tuple[tuple[Item, Count, Count], ...]:
    """Per item, T and P (:func:`voting.aggregate.participations`) on the rosters
    :func:`tally_with_sales` counts on: the live figures of an open or a secret vote."""
    listed = list(items)
    if not sales:
        return participations(roster, listed, votes)
    per_item = item_rosters(roster, sales, (item.item_id for item in listed))
    return participations(apply(roster, sales), listed, votes, item_rosters=per_item)
