"""Rules of committee-signed entries that need no database: the server and the verifier
apply these same functions (:mod:`ledger.store.committee` when appending,
:mod:`ledger.replay` when replaying a bundle).

* a void's reason is published in the ledger: long enough to say why, short enough to
  hold no more than that (no names) — :data:`VOID_REASON_CHARS`;
* a transfer (a unit sold during the vote) is of a head that is one unit, or names the
  unit sold out of a head that counts several units as one owner, which splits that
  head (:func:`transfer_problem`, :mod:`voting.sales`);
* a written proxy is registered within the assembly's proxy cap
  (:func:`voting.casting.proxy_registration_refusal`, the same cap as on the ballots).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.errors import Refusal
from voting.heads import Roster

VOID_REASON_CHARS = (4, 200)


def void_reason_fits(reason: str) -> bool:
    shortest, longest = VOID_REASON_CHARS
    return shortest <= len(reason.strip()) <= longest


def units_of_a_split_head(roster: Roster, head_id: str) -> tuple[str, ...] | None:
    """The units a transfer of ``head_id`` would split (None: the head is one unit)."""
    units = roster.heads[head_id].unit_ids
    return tuple(units) if len(units) > 1 else None


@dataclass(frozen=True)
class TransferProblem:
    """Why a transfer may not be recorded: a ledger refusal code, its words and figures."""

    code: Refusal
    message: str
    params: dict[str, Any] = field(default_factory=dict)


def transfer_problem(frozen: Roster, current: Roster, head_id: str, unit: str | None,
                     buyer_head: str | None) -> TransferProblem | None:
    """The rule on which head and unit a transfer names (None: it may be recorded).

    ``frozen`` is the roster frozen at notice, ``current`` the one after the sales so far
    (:class:`voting.counting.Counting`).  Without ``unit`` the head must be one unit
    (``multi_unit_transfer``: name the unit); with it, the head must count several units
    (``not_a_multi_unit_head``), the unit must still be one of them
    (``unit_not_in_head``), and ``buyer_head``, if given, a head of the frozen roster
    other than the seller's (``head_not_in_roster``, ``buyer_is_seller``).
    """
    if head_id not in frozen.heads:
        return TransferProblem(Refusal.HEAD_NOT_IN_ROSTER, f"head {head_id} is not in the "
                               "roster frozen at notice", {"head": head_id})
    units = units_of_a_split_head(frozen, head_id)
    if unit is None:
        now = current.heads.get(head_id)
        if units is None and (now is None or len(now.unit_ids) == 1):
            return None
        units = units or (now.unit_ids if now is not None else ())
        return TransferProblem(Refusal.MULTI_UNIT_TRANSFER, f"head {head_id} counts units "
                               f"{', '.join(units)} as one owner: name the unit sold",
                               {"units": list(units)})
    if units is None:
        return TransferProblem(Refusal.NOT_A_MULTI_UNIT_HEAD, f"head {head_id} is one unit: "
                               "its transfer names no unit", {"head": head_id})
    now = current.heads.get(head_id)
    held = now.unit_ids if now is not None else ()
    if unit not in held:
        return TransferProblem(Refusal.UNIT_NOT_IN_HEAD, f"unit {unit} is not one of the "
                               f"units of head {head_id} ({', '.join(held) or 'none left'})",
                               {"unit": unit, "units": list(held)})
    if buyer_head is not None:
        if buyer_head not in frozen.heads:
            return TransferProblem(Refusal.HEAD_NOT_IN_ROSTER, f"the buyer's head {buyer_head} "
                                   "is not in the roster frozen at notice",
                                   {"head": buyer_head})
        if buyer_head == head_id:
            return TransferProblem(Refusal.BUYER_IS_SELLER, f"the buyer of unit {unit} is its "
                                   "seller", {"head": head_id})
    return None
