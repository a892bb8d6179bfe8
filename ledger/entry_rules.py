"""Rules of committee-signed entries that need no database: the server and the verifier
apply these same functions (:mod:`ledger.store.committee` when appending,
:mod:`ledger.replay` when replaying a bundle).

* a void's reason is published in the ledger: long enough to say why, short enough to
  hold no more than that (no names) — :data:`VOID_REASON_CHARS`;
* a transfer (a unit sold during the vote) is of a head that is one unit: the frozen
  roster cannot split a head that counts several units as one owner;
* a written proxy is registered within the assembly's proxy cap
  (:func:`voting.casting.proxy_registration_refusal`, the same cap as on the ballots).
"""

from __future__ import annotations

from voting.heads import Roster

VOID_REASON_CHARS = (4, 200)


def void_reason_fits(reason: str) -> bool:
    shortest, longest = VOID_REASON_CHARS
    return shortest <= len(reason.strip()) <= longest


def units_of_a_split_head(roster: Roster, head_id: str) -> tuple[str, ...] | None:
    """The units a transfer of ``head_id`` would split (None: the head is one unit)."""
    units = roster.heads[head_id].unit_ids
    return tuple(units) if len(units) > 1 else None
