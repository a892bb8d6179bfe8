"""A unit transferred during a vote (law.md, Beijing practice): pure decision functions.

Rule: **the seller's ballot stands if it was cast before the transfer;
otherwise the buyer votes.**  Applied per agenda item (quorum and majority
are per item, so a seller who voted on item 1 but not item 2 before the
transfer leaves item 2 to the buyer).  "Before" is strict: a ballot whose
time equals the transfer time is after it.  The transfer time is the
registration time of the transfer (登簿时间) as recorded by the committee, or
failing that the time the registry refresh showing the new owner was
imported.

How the web/ledger side is to apply it (not built yet; docs/identity.md says what the
committee does meanwhile):

* the assembly's denominators (T) stay those of the frozen roster — a
  transfer changes who casts the unit's vote, not how much it weighs;
* when a refresh shows a transfer of a unit of an open assembly, call
  :func:`decide` per item with the times of the seller's ballots on it; if
  the result is ``buyer``, void (ledger ``void`` entry) any seller ballot cast
  at or after the transfer and let the buyer cast; if ``seller``, refuse the
  buyer's ballot with :data:`SELLER_VOTED` and keep the seller's last ballot
  from before the transfer;
* :func:`may_cast` answers, at cast time, whether seller or buyer may cast now.
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
