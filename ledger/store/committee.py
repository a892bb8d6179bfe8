"""Committee entries: proxies, representatives, transfers, voids; closing and the result.

Runs in the caller's writer transaction (:func:`ledger.store.logstore.begin_write`).
Proxies, representatives, transfers and voids carry a payload signed by an enrolled
committee key; closing and the result are covered by the log's checkpoints.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import canonical, timestamps
from ledger.entries import (
    BALLOT,
    CLOSED,
    PAPER_BALLOT,
    PROXY_REGISTERED,
    REPRESENTATIVE_SET,
    RESULT,
    UNIT_TRANSFERRED,
    VOIDED,
)
from ledger.errors import EntryError, LogStateError, Refusal
from ledger.note import Signer
from ledger.store import logstore
from ledger.store.admission import check_payload, require_open, verify_official
from ledger.store.headstate import head_rules
from ledger.store.models import LedgerEntry
from ledger.store.publish import published


def register_proxy(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """A written proxy typed in by a committee member (evidence SHA-256, pseudonymous agent)."""
    return _append_head_entry(session, assembly_id, PROXY_REGISTERED, payload, sig, now,
                              what="proxy", agent=payload["agent"])


def set_representative(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """The committee records which co-owner votes for a head."""
    return _append_head_entry(session, assembly_id, REPRESENTATIVE_SET, payload, sig, now,
                              what="representative")


def record_transfer(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """A unit sold during the vote (docs/law.md): from this entry on, the buyer votes for its head.

    The committee records it from the registry (the registration time, the buyer's
    keyed voter reference, the SHA-256 of the registry record).  Refused when the
    transfer is in the future, when the head's unit was already recorded as
    transferred, or while the head has ballots from at or after the transfer that
    still count — the committee voids them first (they are void by law), so that
    every ballot of the seller that remains is one from before the transfer.
    """
    head = logstore.lock_head(session, assembly_id)
    state = head_rules(session, assembly_id, str(payload.get("head", "")))
    at = payload.get("transferred_at")
    if isinstance(at, int) and at > max(timestamps.now_ms(now), head.last_time_ms):
        raise EntryError("the transfer time is in the future", head.size,
                         code=Refusal.TRANSFER_IN_FUTURE)
    if state.transfer is not None:
        raise EntryError(f"head {payload.get('head')}: a transfer is already recorded "
                         f"(entry {state.transfer_index})", head.size,
                         code=Refusal.TRANSFER_ALREADY_RECORDED,
                         params={"entry": state.transfer_index})
    late = [index for index, t in state.ballots if isinstance(at, int) and t >= at]
    if late:
        raise EntryError("void the ballots cast at or after the transfer first: entries "
                         + ", ".join(map(str, late)), head.size,
                         code=Refusal.VOID_LATER_BALLOTS_FIRST, params={"entries": late})
    return _append_head_entry(session, assembly_id, UNIT_TRANSFERRED, payload, sig, now,
                              what="transfer", head=head)


def _append_head_entry(session: Session, assembly_id: int, kind: str, payload: dict[str, Any],
                       sig: bytes, now: dt.datetime | None, *, what: str,
                       agent: str | None = None, head: Any = None) -> logstore.Appended:
    """A committee-signed entry about one roster head, while the log takes entries."""
    head = head or logstore.lock_head(session, assembly_id)
    check_payload(head, kind, payload, sig)
    require_open(head, timestamps.now_ms(now), what, window=False)
    verify_official(session, head, payload, sig, kind)
    if payload["head"] not in published(session, assembly_id)[1].heads:
        raise EntryError(f"head {payload['head']} is not in the roster", head.size,
                         code=Refusal.HEAD_NOT_IN_ROSTER, params={"head": payload["head"]})
    return logstore.append(
        session,
        assembly_id,
        kind,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
        head_id=payload["head"],
        agent=agent,
    )


def void_entry(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """Void a ballot (reason and committee key recorded); it stops counting, stays in the log.

    A transfer recorded by mistake is voided the same way, once no ballot of its head
    after it counts any more (the buyer's, voided first): the head is then as if the
    transfer had never been recorded.
    """
    head = logstore.lock_head(session, assembly_id)
    check_payload(head, VOIDED, payload, sig)
    verify_official(session, head, payload, sig, VOIDED)
    target = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == payload["target"]
        )
    ).first()
    if target is None or target.kind not in (BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED) \
            or target.voided_by is not None:
        raise EntryError(f"entry {payload['target']} is not a ballot that counts", head.size,
                         code=Refusal.NOT_COUNTABLE, params={"entry": payload["target"]})
    if head.closed:
        raise EntryError("voting is closed", head.size, code=Refusal.CLOSED,
                         params={"closes_at_ms": head.closes_at_ms})
    if target.kind == UNIT_TRANSFERRED:
        after = [i for i, _t in head_rules(session, assembly_id, target.head_id).ballots
                 if i > target.index]
        if after:
            raise EntryError("void the ballots cast after the transfer first: entries "
                             + ", ".join(map(str, after)), head.size,
                             code=Refusal.VOID_LATER_BALLOTS_FIRST, params={"entries": after})
    out = logstore.append(
        session,
        assembly_id,
        VOIDED,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
    )
    target.voided_by = out.index
    return out


def close_voting(
    session: Session,
    assembly_id: int,
    reason: str = "deadline",
    now: dt.datetime | None = None,
    signer: Signer | None = None,
) -> logstore.Appended:
    """Close the vote; with ``signer``, also sign the closing checkpoint."""
    head = logstore.lock_head(session, assembly_id)
    if head.closed:
        raise LogStateError(f"assembly {assembly_id}: voting is already closed",
                            code=Refusal.ALREADY_CLOSED)
    out = logstore.append(session, assembly_id, CLOSED, {"reason": reason}, now=now, head=head)
    head.closed = True
    if signer is not None:
        from ledger.store.checkpoints import issue_checkpoint

        issue_checkpoint(session, assembly_id, signer, now=now)
    return out


def publish_result(
    session: Session, assembly_id: int, result: dict[str, Any], now: dt.datetime | None = None
) -> logstore.Appended:
    """Append the tally (``voting.tally(...).to_json()``); only after closing, only once."""
    head = logstore.lock_head(session, assembly_id)
    if not head.closed:
        raise LogStateError("publish the result after voting is closed",
                            code=Refusal.RESULT_BEFORE_CLOSE)
    if (
        session.scalar(
            select(LedgerEntry.index).where(
                LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind == RESULT
            )
        )
        is not None
    ):
        raise LogStateError("the result is already published",
                            code=Refusal.RESULT_ALREADY_PUBLISHED)
    return logstore.append(session, assembly_id, RESULT, {"result": result}, now=now, head=head)
