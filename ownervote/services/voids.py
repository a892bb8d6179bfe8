"""Voiding a ballot (or a transfer recorded by mistake), signed by a committee member.

The voided entry stays in the log and stops counting; the reason is published.
:func:`prepare` checks the void as the ledger will (:func:`ledger.store.committee.check_void`)
before the member signs; :func:`void` appends the signed void as one unit of work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from ledger.ballots import new_nonce
from ledger.store import committee, logstore
from ledger.store.committee import check_void
from ownervote.services.committee_keys import append_signed


def prepare(session: Session, assembly_id: int, *, target: int | None, reason: str,
            official: str) -> dict[str, Any]:
    """The payload the member signs to void entry ``target`` with ``reason``.

    Raises the ledger's refusal (:class:`~ledger.errors.LedgerError`: ``not_countable``,
    ``closed``, ``void_reason_length``, ``void_later_ballots_first``).
    """
    index = -1 if target is None else target
    reason = reason.strip()
    check_void(session, assembly_id, index, reason)
    return {"origin": logstore.get_head(session, assembly_id).origin, "target": index,
            "reason": reason, "official": official, "nonce": new_nonce()}


def void(session: Session, assembly_id: int, *, payload: dict[str, Any], sig: bytes,
         staff_id: int, hasher: KeyedHasher, now: dt.datetime, actor: str
         ) -> logstore.Appended:
    """Append the signed void (one unit of work); refusals as :func:`prepare`."""
    return append_signed(
        session, assembly_id, official=payload.get("official"), staff_id=staff_id,
        hasher=hasher, actor=actor, action="ballot.void",
        append=lambda s: committee.void_entry(s, assembly_id, payload, sig, now=now),
        audit={"target": payload.get("target")})
