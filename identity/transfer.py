"""A unit transferred during a vote (docs/law.md, Beijing practice): pure decision functions.

Rule: **the seller's ballot stands if it was cast before the transfer;
otherwise the buyer votes.**  Applied per agenda item (quorum and majority
are per item, so a seller who voted on item 1 but not item 2 before the
transfer leaves item 2 to the buyer).  "Before" is strict: a ballot whose
time equals the transfer time is after it.  The transfer time is the
registration time of the transfer (登簿时间) as the committee records it from
the registry record.

How it is applied (docs/identity.md): the committee records the transfer in the
ledger (``unit.transferred``, after voiding the seller's ballots from at or after it);
from then on the casting rules (:class:`voting.casting.Transfer`) let only the buyer
vote online, and not on an item the seller voted on before the transfer.  These two
functions state the per-item decision on its own; ``tests/unit/test_voting_transfer.py``
checks that the casting rule agrees with :func:`decide`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Party = Literal["seller", "buyer"]
SELLER_VOTED = "seller_voted_before_transfer"


@dataclass(frozen=True)
class TransferDecision:
    voter: Party  # whose ballot counts for the unit on this item
    seller_ballot: dt.datetime | None  # the seller's counted ballot (latest before transfer)
    void: tuple[dt.datetime, ...]  # seller ballots cast at or after the transfer: void


def decide(transferred_at: dt.datetime, seller_ballots: Iterable[dt.datetime]) -> TransferDecision:
    """Who votes for a transferred unit on one item, given the seller's ballot times on it."""
    times = sorted(seller_ballots)
    before = [t for t in times if t < transferred_at]
    after = tuple(t for t in times if t >= transferred_at)
    if before:
        return TransferDecision("seller", before[-1], after)
    return TransferDecision("buyer", None, after)


def may_cast(party: Party, at: dt.datetime, transferred_at: dt.datetime,
             seller_ballots: Iterable[dt.datetime]) -> tuple[bool, str]:
    """May ``party`` cast a ballot on the item at time ``at``?  ``(allowed, reason)``."""
    if party == "seller":
        if at < transferred_at:
            return True, "seller_before_transfer"
        return False, "unit_transferred"
    if at < transferred_at:
        return False, "transfer_not_yet_effective"
    if decide(transferred_at, seller_ballots).voter == "seller":
        return False, SELLER_VOTED
    return True, "buyer_after_transfer"
