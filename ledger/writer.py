"""What the web layer calls: validated appends of every entry kind.

Each function runs in the caller's writer transaction (start it with
:func:`ledger.store.begin_write`, commit after), takes the log's lock, checks
the entry exactly as the offline verifier will (signature, key, per-head
ballot number, window, voting's casting rules) and appends it.  A refusal is a
:class:`~ledger.errors.BallotError` / :class:`~ledger.errors.EntryError` (or
voting's :class:`~voting.errors.CastRefused`) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import canonical, store
from ledger.ballots import load_p256, verify_signed
from ledger.committee import (  # noqa: F401 (the writer API in one place)
    close_voting,
    publish_result,
    register_proxy,
    set_representative,
    void_entry,
)
from ledger.documents import convert_choices
from ledger.enrolment import enroll_key, enroll_official, revoke_key  # noqa: F401
from ledger.entries import BALLOT, PAPER_BALLOT, REPRESENTATIVE_SET, parse_entry, signed_message
from ledger.errors import BallotError
from ledger.guards import check_payload, require_open, verify_official
from ledger.models import LedgerEntry, LedgerKey, LogHead
from ledger.publish import published
from voting.ballots import BallotEvent, Channel
from voting.casting import check_cast
from voting.heads import Roster


def next_seq(session: Session, assembly_id: int, head_id: str) -> int:
    """The ballot number the head's next ballot must carry (the phone signs it)."""
    last = session.scalar(
        select(func.max(LedgerEntry.seq)).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == head_id
        )
    )
    return (last or 0) + 1


def _history(session: Session, assembly_id: int, head_id: str) -> list[BallotEvent]:
    rows = session.execute(
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.body)
        .where(
            LedgerEntry.assembly_id == assembly_id,
            LedgerEntry.head_id == head_id,
            LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
            LedgerEntry.voided_by.is_(None),
        )
        .order_by(LedgerEntry.index)
    ).all()
    events = []
    for index, kind, body in rows:
        p = parse_entry(bytes(body), index).body["payload"]
        events.append(_event(session, assembly_id, index, kind, p))
    return events


def _event(session: Session, assembly_id: int, index: int, kind: str, p: dict) -> BallotEvent:
    choices = convert_choices(p["choices"])
    if kind == PAPER_BALLOT:
        return BallotEvent(index, p["head"], Channel.PAPER, choices)
    k = session.get(LedgerKey, (assembly_id, p["key"]))
    if k.role == "proxy":
        return BallotEvent(index, p["head"], Channel.PROXY, choices, k.agent)
    return BallotEvent(index, p["head"], Channel.ELECTRONIC, choices, None, k.voter)


def _representative(session: Session, assembly_id: int, head_id: str) -> str | None:
    row = session.execute(
        select(LedgerEntry.index, LedgerEntry.body)
        .where(
            LedgerEntry.assembly_id == assembly_id,
            LedgerEntry.head_id == head_id,
            LedgerEntry.kind == REPRESENTATIVE_SET,
        )
        .order_by(LedgerEntry.index.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return parse_entry(bytes(row.body), row.index).body["payload"]["voter"]


def _rules(session: Session, head: LogHead, kind: str, p: dict, roster: Roster | None) -> None:
    adef, published_roster = published(session, head.assembly_id)
    expected = next_seq(session, head.assembly_id, p["head"])
    if p["seq"] != expected:
        raise BallotError(
            f"ballot number {p['seq']} is not the head's next ({expected}); "
            "fetch it and sign again",
            head.size,
        )
    event = _event(session, head.assembly_id, head.size, kind, p)
    agent_heads: set[str] = set()
    if event.agent is not None:
        agent_heads = set(
            session.scalars(
                select(LedgerEntry.head_id).where(
                    LedgerEntry.assembly_id == head.assembly_id,
                    LedgerEntry.agent == event.agent,
                    LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
                    LedgerEntry.voided_by.is_(None),
                )
            ).all()
        )
    check_cast(
        _history(session, head.assembly_id, p["head"]),
        event,
        adef.settings,
        items=adef.items,
        roster=roster or published_roster,
        agent_heads=agent_heads,
        representative=_representative(session, head.assembly_id, p["head"]),
    )


def cast_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    *,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
) -> store.Appended:
    """Append a voter's ballot after every check the verifier makes.

    ``payload`` is what the phone signed (:func:`ledger.ballots.ballot_payload`),
    ``sig`` its 64-byte P1363 signature.  Raises and writes nothing on refusal.
    """
    head = store.lock_head(session, assembly_id)
    check_payload(head, BALLOT, payload, sig)
    require_open(head, max(store.now_ms(now), head.last_time_ms), "ballot")
    k = session.get(LedgerKey, (assembly_id, payload["key"]))
    if k is None or k.kind != "voter":
        raise BallotError(f"key {payload['key'][:16]} is not enrolled in this log", head.size)
    if k.revoked_index is not None:
        raise BallotError(f"key {payload['key'][:16]} was revoked", head.size)
    if k.head_id != payload["head"]:
        raise BallotError("this key is enrolled for another head", head.size)
    verify_signed(load_p256(bytes(k.spki)), signed_message(BALLOT, payload), sig)
    _rules(session, head, BALLOT, payload, roster)
    return store.append(
        session,
        assembly_id,
        BALLOT,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
        head_id=payload["head"],
        agent=k.agent,
        seq=payload["seq"],
    )


def enter_paper_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    *,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
) -> store.Appended:
    """Append a paper ballot entered and signed by a committee member (with the scan's SHA-256)."""
    head = store.lock_head(session, assembly_id)
    check_payload(head, PAPER_BALLOT, payload, sig)
    require_open(head, max(store.now_ms(now), head.last_time_ms), "paper ballot")
    verify_official(session, head, payload, sig, PAPER_BALLOT)
    _rules(session, head, PAPER_BALLOT, payload, roster)
    return store.append(
        session,
        assembly_id,
        PAPER_BALLOT,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
        head_id=payload["head"],
        seq=payload["seq"],
    )


def counted_votes(session: Session, assembly_id: int) -> dict[tuple[str, str], Any]:
    """The vote that counts per (head, item): the last non-voided ballot on each item."""
    votes: dict[tuple[str, str], Any] = {}
    rows = session.execute(
        select(LedgerEntry.index, LedgerEntry.body)
        .where(
            LedgerEntry.assembly_id == assembly_id,
            LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
            LedgerEntry.voided_by.is_(None),
        )
        .order_by(LedgerEntry.index)
    )
    for index, body in rows:
        p = parse_entry(bytes(body), index).body["payload"]
        for item, vote in convert_choices(p["choices"]).items():
            votes[(p["head"], item)] = vote
    return votes
