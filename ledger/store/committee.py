"""Committee entries: proxies, representatives, transfers, voids; closing and the result.

The appends run in the caller's writer transaction
(:func:`ledger.store.logstore.begin_write`).  Proxies, representatives, transfers and
voids carry a payload signed by an enrolled committee key; closing and the result are
covered by the log's checkpoints.  Each rule of a committee entry lives here once:
:func:`check_proxy`, :func:`check_transfer` and :func:`check_void` apply them and write
nothing (the pages that prepare an entry ask them before the member signs), and the
appends apply them again under the log's lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import canonical, timestamps
from ledger.documents import AssemblyDef
from ledger.entries import parse_entry
from ledger.entry_rules import VOID_REASON_CHARS, transfer_problem, void_reason_fits
from ledger.errors import EntryError, LogStateError, Refusal
from ledger.kinds import (
    BALLOT,
    CLOSED,
    FINAL,
    PAPER_BALLOT,
    PROXY_REGISTERED,
    REPRESENTATIVE_SET,
    RESULT,
    UNIT_TRANSFERRED,
    VOIDED,
)
from ledger.note import Signer
from ledger.payloads import UnitTransferred
from ledger.store import logstore
from ledger.store.admission import check_payload, require_open, verify_official
from ledger.store.headstate import HeadRules, head_rules
from ledger.store.models import LedgerEntry, LogHead
from ledger.store.publish import published
from ledger.store.sales import sales_now, split_transfers
from voting.casting import proxy_registration_refusal
from voting.errors import RefusalReason
from voting.heads import Roster


def check_proxy(
    session: Session,
    assembly_id: int,
    head_id: str,
    agent: str,
    *,
    now: dt.datetime | None = None,
    log: LogHead | None = None,
) -> None:
    """Every rule :func:`register_proxy` applies to ``agent`` acting for ``head_id``.

    Writes nothing.  ``log``: the head :func:`register_proxy` locked; without it the
    head is read unlocked (a dry run for the page that prepares the entry; the rules are
    applied again under the lock when the signed entry comes back).  Refusals:
    ``closed``, ``head_not_in_roster``, ``proxy_already_registered``, and the
    assembly's proxy cap (:func:`voting.casting.proxy_registration_refusal`):
    ``proxies_not_allowed``, ``proxy_cap_exceeded``.
    """
    log = log or logstore.get_head(session, assembly_id)
    adef, _roster = _head_entry_rules(session, log, head_id, now, "proxy")
    # cast: a proxy.registered entry names its head (head_id is NULL only for entries of
    # no head, such as assembly.published)
    registered = cast("dict[str, int]", dict(session.execute(
        select(LedgerEntry.head_id, LedgerEntry.index).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind == PROXY_REGISTERED,
            LedgerEntry.agent == agent)).all()))
    if head_id in registered:
        raise EntryError(f"agent {agent} is already registered for head {head_id} (entry "
                         f"{registered[head_id]})", log.size,
                         code=Refusal.PROXY_ALREADY_REGISTERED,
                         params={"head": head_id, "agent": agent, "entry": registered[head_id]})
    reason = proxy_registration_refusal(head_id, registered, adef.settings)
    if reason is RefusalReason.PROXY_NOT_ALLOWED:
        raise EntryError("this assembly does not accept proxies (its proxy cap is 0)", log.size,
                         code=Refusal.PROXIES_NOT_ALLOWED)
    if reason is not None:
        cap = adef.settings.proxy_cap
        raise EntryError(f"agent {agent} already represents {len(registered)} owner(s); the "
                         f"assembly allows at most {cap} per agent", log.size,
                         code=Refusal.PROXY_CAP_EXCEEDED,
                         params={"cap": cap, "heads": len(registered)})


def register_proxy(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """A written proxy typed in by a committee member (evidence SHA-256, pseudonymous agent).

    Refused as :func:`check_proxy` says (the assembly's proxy cap among them).
    """
    log = _signed(session, assembly_id, PROXY_REGISTERED, payload, sig)
    check_proxy(session, assembly_id, payload["head"], payload["agent"], now=now, log=log)
    return _append_head_entry(session, assembly_id, PROXY_REGISTERED, payload, sig, now, log,
                              agent=payload["agent"])


def set_representative(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """The committee records which co-owner votes for a head."""
    log = _signed(session, assembly_id, REPRESENTATIVE_SET, payload, sig)
    _head_entry_rules(session, log, payload["head"], now, "representative")
    return _append_head_entry(session, assembly_id, REPRESENTATIVE_SET, payload, sig, now, log)


def check_transfer(
    session: Session,
    assembly_id: int,
    head_id: str,
    transferred_at_ms: int,
    *,
    now: dt.datetime | None = None,
    log: LogHead | None = None,
    unit: str | None = None,
    buyer_head: str | None = None,
) -> HeadRules:
    """Every rule :func:`record_transfer` applies to the sale of ``head_id``'s unit.

    Writes nothing; returns what the rules read about the head.  ``log`` as for
    :func:`check_proxy`.  ``unit``: the unit sold out of a head that counts several
    units as one owner (the head is split, :mod:`voting.sales`); ``buyer_head``: with it,
    the head the buyer already is.  Refusals: ``closed``, ``head_not_in_roster``; the
    head and unit rule (:func:`ledger.entry_rules.transfer_problem`:
    ``multi_unit_transfer`` without a unit for a head of several, ``unit_not_in_head``,
    ``not_a_multi_unit_head``, ``buyer_is_seller``); ``transfer_in_future``;
    ``transfer_already_recorded``; ``void_later_ballots_first`` while ballots of the head
    from at or after the transfer still count (they are void by law: the committee voids
    them first, so every ballot of the seller that remains is one from before it).
    """
    log = log or logstore.get_head(session, assembly_id)
    _adef, roster = _head_entry_rules(session, log, head_id, now, "transfer")
    sales = sales_now(session, assembly_id)
    problem = transfer_problem(roster, sales.roster if sales else roster, head_id, unit,
                               buyer_head)
    if problem is not None:
        raise EntryError(problem.message, log.size, code=problem.code, params=problem.params)
    if transferred_at_ms > max(timestamps.now_ms(now), log.last_time_ms):
        raise EntryError("the transfer time is in the future", log.size,
                         code=Refusal.TRANSFER_IN_FUTURE)
    state = head_rules(session, assembly_id, head_id)
    if unit is None and state.transfer is not None:
        raise EntryError(f"head {head_id}: a transfer is already recorded "
                         f"(entry {state.transfer_index})", log.size,
                         code=Refusal.TRANSFER_ALREADY_RECORDED,
                         params={"entry": state.transfer_index})
    late = [index for index, t in state.ballots if t >= transferred_at_ms]
    if late:
        raise _void_first(late, "at or after", log)
    return state


def _void_first(entries: list[int], when: str, log: LogHead) -> EntryError:
    """The refusal while ballots of the head from ``when`` the transfer still count."""
    return EntryError(f"void the ballots cast {when} the transfer first: entries "
                      + ", ".join(map(str, entries)), log.size,
                      code=Refusal.VOID_LATER_BALLOTS_FIRST, params={"entries": entries})


def record_transfer(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """A unit sold during the vote (docs/law.md): from this entry on, the buyer votes for its head.

    The committee records it from the registry (the registration time, the buyer's
    keyed voter reference, the SHA-256 of the registry record).  Refused as
    :func:`check_transfer` says.
    """
    log = _signed(session, assembly_id, UNIT_TRANSFERRED, payload, sig)
    check_transfer(session, assembly_id, payload["head"], payload["transferred_at"], now=now,
                   log=log, unit=payload.get("unit"), buyer_head=payload.get("buyer_head"))
    return _append_head_entry(session, assembly_id, UNIT_TRANSFERRED, payload, sig, now, log)


def _signed(session: Session, assembly_id: int, kind: str, payload: dict[str, Any],
            sig: bytes) -> LogHead:
    """Lock the log; the payload's shape, its log, and its enrolled committee key's signature."""
    log = logstore.lock_head(session, assembly_id)
    check_payload(log, kind, payload, sig)
    verify_official(session, log, payload, sig, kind)
    return log


def _head_entry_rules(session: Session, log: LogHead, head_id: str, now: dt.datetime | None,
                      what: str) -> tuple[AssemblyDef, Roster]:
    """A committee entry about one roster head: while the log takes entries, a known head."""
    require_open(log, timestamps.now_ms(now), what, window=False)
    adef, roster = published(session, log.assembly_id)
    if head_id not in roster.heads:
        raise EntryError(f"head {head_id} is not in the roster", log.size,
                         code=Refusal.HEAD_NOT_IN_ROSTER, params={"head": head_id})
    return adef, roster


def _append_head_entry(session: Session, assembly_id: int, kind: str, payload: dict[str, Any],
                       sig: bytes, now: dt.datetime | None, log: LogHead, *,
                       agent: str | None = None) -> logstore.Appended:
    return logstore.append(
        session,
        assembly_id,
        kind,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=log,
        head_id=payload["head"],
        agent=agent,
    )


def check_void(
    session: Session,
    assembly_id: int,
    target: int,
    reason: str,
    *,
    log: LogHead | None = None,
) -> LedgerEntry:
    """Every rule :func:`void_entry` applies to voiding entry ``target``; returns the entry.

    Writes nothing; ``log`` as for :func:`check_proxy`.  Refusals: ``not_countable``
    (not a ballot or transfer, or already void: ``voided_by``), ``closed``,
    ``void_reason_length`` (the reason is published: :data:`VOID_REASON_CHARS`), and
    ``void_later_ballots_first`` for a transfer while a later ballot of its head counts.
    """
    log = log or logstore.get_head(session, assembly_id)
    entry = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == target
        )
    ).first()
    if entry is None or entry.kind not in (BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED) \
            or entry.voided_by is not None:
        params: dict[str, Any] = {"entry": target}
        if entry is not None and entry.voided_by is not None:
            params["voided_by"] = entry.voided_by
        raise EntryError(f"entry {target} is not a ballot that counts", log.size,
                         code=Refusal.NOT_COUNTABLE, params=params)
    if log.closed:
        raise EntryError("voting is closed", log.size, code=Refusal.CLOSED,
                         params={"closes_at_ms": log.closes_at_ms})
    shortest, longest = VOID_REASON_CHARS
    if not void_reason_fits(reason):
        raise EntryError(f"the reason must be {shortest} to {longest} characters", log.size,
                         code=Refusal.VOID_REASON_LENGTH,
                         params={"min": shortest, "max": longest})
    if entry.kind == UNIT_TRANSFERRED:
        split = parse_entry(bytes(entry.body), entry.index).payload_as(UnitTransferred)
        if split.unit is not None:
            after = _after_split(session, assembly_id, entry.index)
        else:  # cast: a unit.transferred entry names its head
            after = [i for i, _t in head_rules(session, assembly_id,
                                                cast(str, entry.head_id)).ballots
                     if i > entry.index]
        if after:
            raise _void_first(after, "after", log)
    return entry


def _after_split(session: Session, assembly_id: int, index: int) -> list[int]:
    """What must go before a split (a unit sold out of a multi-unit head) may be voided:
    the entries of the buyer's head after it, and later splits (the buyer's head and the
    seller's units may depend on it)."""
    sales = sales_now(session, assembly_id, upto=index + 1)
    if sales is None:  # pragma: no cover - the entry itself is a standing split
        return []
    buyer_head = sales.sales[-1].buyer_head
    later = [i for i, _p in split_transfers(session, assembly_id) if i > index]
    rows = session.scalars(select(LedgerEntry.index).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == buyer_head,
        LedgerEntry.index > index, LedgerEntry.voided_by.is_(None))).all()
    return sorted({*later, *rows})


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
    transfer had never been recorded.  Refused as :func:`check_void` says.
    """
    log = _signed(session, assembly_id, VOIDED, payload, sig)
    target = check_void(session, assembly_id, payload["target"], payload["reason"], log=log)
    out = logstore.append(
        session,
        assembly_id,
        VOIDED,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=log,
    )
    target.voided_by = out.index
    return out


def append_closing(
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


def publish_final(session: Session, assembly_id: int, *, objections: int,
                  now: dt.datetime | None = None) -> logstore.Appended:
    """Append the final announcement (``result.final``): it names the published result by
    its SHA-256 and says how many objections were recorded; after the result, only once.
    (The caller checked that the objection period is over.)"""
    head = logstore.lock_head(session, assembly_id)
    kinds = dict(session.execute(
        select(LedgerEntry.kind, LedgerEntry.index).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind.in_((RESULT, FINAL)))).all())
    if RESULT not in kinds:
        raise LogStateError("the final announcement follows the published result",
                            code=Refusal.FINAL_BEFORE_RESULT)
    if FINAL in kinds:
        raise LogStateError("the final announcement is already published",
                            code=Refusal.FINAL_ALREADY_PUBLISHED)
    result = logstore.read_entry(session, assembly_id, kinds[RESULT]).body["result"]
    digest = hashlib.sha256(canonical.encode(result)).hexdigest()
    return logstore.append(session, assembly_id, FINAL,
                           {"result_sha256": digest, "objections": objections},
                           now=now, head=head)
