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
from ledger.ballots import key_id, load_official_key, load_p256, verify_signed
from ledger.documents import convert_choices
from ledger.entries import (
    BALLOT,
    CLOSED,
    KEY_ENROLLED,
    KEY_REVOKED,
    OFFICIAL_ENROLLED,
    PAPER_BALLOT,
    PROXY_REGISTERED,
    REPRESENTATIVE_SET,
    RESULT,
    VOIDED,
    check_body,
    parse_entry,
    signed_message,
)
from ledger.errors import BallotError, EntryError, LogStateError, SignatureError
from ledger.models import LedgerEntry, LedgerKey, LogHead
from ledger.note import Signer
from ledger.publish import published
from voting.ballots import BallotEvent, Channel
from voting.casting import check_cast
from voting.heads import Roster


def _open(head: LogHead, t: int, what: str, window: bool = True) -> None:
    if head.closed:
        raise BallotError(f"{what}: voting is closed", head.size)
    if window and not head.opens_at_ms <= t < head.closes_at_ms:
        raise BallotError(f"{what}: outside the voting window", head.size)


def _attest(signer: Signer, head: LogHead, kind: str, payload: dict[str, Any]) -> dict:
    if signer.verifier.vkey != head.log_vkey:
        raise LogStateError("this is not the key of this log")
    return {
        "payload": payload,
        "sig": canonical.b64url(signer.private_key.sign(signed_message(kind, payload))),
    }


def _official(session: Session, head: LogHead, payload: dict, sig: bytes, kind: str) -> None:
    row = session.get(LedgerKey, (head.assembly_id, payload.get("official")))
    if row is None or row.kind != "official" or row.revoked_index is not None:
        raise SignatureError(f"{kind}: signed by a key that is not an enrolled committee key")
    verify_signed(load_official_key(bytes(row.spki)), signed_message(kind, payload), sig)


def _check_payload(head: LogHead, kind: str, payload: dict, sig: bytes) -> None:
    check_body(kind, {"payload": payload, "sig": canonical.b64url(sig)}, head.size)
    if payload["origin"] != head.origin:
        raise EntryError(f"payload origin {payload['origin']!r} is not this log's", head.size)


def enroll_official(
    session: Session,
    assembly_id: int,
    signer: Signer,
    spki: bytes,
    ref: str,
    now: dt.datetime | None = None,
) -> store.Appended:
    """Enroll a committee member's key (P-256 or Ed25519 SPKI); ``ref`` is pseudonymous."""
    head = store.lock_head(session, assembly_id)
    load_official_key(spki)
    kid = key_id(spki)
    if session.get(LedgerKey, (assembly_id, kid)) is not None:
        raise EntryError(f"key {kid[:16]} is already enrolled", head.size)
    payload = {
        "origin": head.origin,
        "official": kid,
        "spki": canonical.b64url(spki),
        "role": "committee",
        "ref": ref,
    }
    out = store.append(
        session,
        assembly_id,
        OFFICIAL_ENROLLED,
        _attest(signer, head, OFFICIAL_ENROLLED, payload),
        now=now,
        head=head,
    )
    session.add(
        LedgerKey(
            assembly_id=assembly_id,
            key_id=kid,
            kind="official",
            spki=spki,
            role="committee",
            entry_index=out.index,
        )
    )
    return out


def enroll_key(
    session: Session,
    assembly_id: int,
    signer: Signer,
    head_id: str,
    spki: bytes,
    *,
    voter: str,
    role: str = "owner",
    agent: str | None = None,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
) -> store.Appended:
    """Bind a voter's device key (P-256 SPKI from WebCrypto) to a head, attested by the log.

    ``voter`` is the pseudonymous reference of the person acting (co-owner rule);
    a ``proxy`` key names its ``agent`` and needs a registered proxy for the head.
    """
    head = store.lock_head(session, assembly_id)
    _open(head, store.now_ms(now), "key enrolment", window=False)
    load_p256(spki)
    roster = roster or published(session, assembly_id)[1]
    if head_id not in roster.heads:
        raise EntryError(f"head {head_id} is not in the roster", head.size)
    kid = key_id(spki)
    if session.get(LedgerKey, (assembly_id, kid)) is not None:
        raise EntryError(f"key {kid[:16]} is already enrolled", head.size)
    if (
        role == "proxy"
        and not session.scalar(
            select(LedgerEntry.index)
            .where(
                LedgerEntry.assembly_id == assembly_id,
                LedgerEntry.kind == PROXY_REGISTERED,
                LedgerEntry.head_id == head_id,
                LedgerEntry.agent == agent,
            )
            .limit(1)
        )
        is not None
    ):
        raise EntryError(f"no registered proxy of agent {agent} for head {head_id}", head.size)
    payload = {
        "origin": head.origin,
        "head": head_id,
        "key": kid,
        "spki": canonical.b64url(spki),
        "role": role,
        "agent": agent,
        "voter": voter,
    }
    out = store.append(
        session,
        assembly_id,
        KEY_ENROLLED,
        _attest(signer, head, KEY_ENROLLED, payload),
        now=now,
        head=head,
        head_id=head_id,
        agent=agent,
    )
    session.add(
        LedgerKey(
            assembly_id=assembly_id,
            key_id=kid,
            kind="voter",
            spki=spki,
            head_id=head_id,
            role=role,
            agent=agent,
            voter=voter,
            entry_index=out.index,
        )
    )
    return out


def revoke_key(
    session: Session,
    assembly_id: int,
    signer: Signer,
    key: str,
    reason: str,
    now: dt.datetime | None = None,
) -> store.Appended:
    """Revoke a device key (lost or replaced phone); its later ballots are refused."""
    head = store.lock_head(session, assembly_id)
    row = session.get(LedgerKey, (assembly_id, key))
    if row is None or row.kind != "voter" or row.revoked_index is not None:
        raise EntryError(f"key {key[:16]} is not an enrolled, unrevoked device key", head.size)
    payload = {"origin": head.origin, "head": row.head_id, "key": key, "reason": reason}
    out = store.append(
        session,
        assembly_id,
        KEY_REVOKED,
        _attest(signer, head, KEY_REVOKED, payload),
        now=now,
        head=head,
        head_id=row.head_id,
    )
    row.revoked_index = out.index
    return out


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
    _check_payload(head, BALLOT, payload, sig)
    _open(head, max(store.now_ms(now), head.last_time_ms), "ballot")
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
    _check_payload(head, PAPER_BALLOT, payload, sig)
    _open(head, max(store.now_ms(now), head.last_time_ms), "paper ballot")
    _official(session, head, payload, sig, PAPER_BALLOT)
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


def register_proxy(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> store.Appended:
    """A written proxy typed in by a committee member (evidence SHA-256, pseudonymous agent)."""
    head = store.lock_head(session, assembly_id)
    _check_payload(head, PROXY_REGISTERED, payload, sig)
    _open(head, store.now_ms(now), "proxy", window=False)
    _official(session, head, payload, sig, PROXY_REGISTERED)
    if payload["head"] not in published(session, assembly_id)[1].heads:
        raise EntryError(f"head {payload['head']} is not in the roster", head.size)
    return store.append(
        session,
        assembly_id,
        PROXY_REGISTERED,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
        head_id=payload["head"],
        agent=payload["agent"],
    )


def set_representative(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> store.Appended:
    """The committee records which co-owner votes for a head."""
    head = store.lock_head(session, assembly_id)
    _check_payload(head, REPRESENTATIVE_SET, payload, sig)
    _open(head, store.now_ms(now), "representative", window=False)
    _official(session, head, payload, sig, REPRESENTATIVE_SET)
    if payload["head"] not in published(session, assembly_id)[1].heads:
        raise EntryError(f"head {payload['head']} is not in the roster", head.size)
    return store.append(
        session,
        assembly_id,
        REPRESENTATIVE_SET,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
        head_id=payload["head"],
    )


def void_entry(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    now: dt.datetime | None = None,
) -> store.Appended:
    """Void a ballot (reason and committee key recorded); it stops counting, stays in the log."""
    head = store.lock_head(session, assembly_id)
    _check_payload(head, VOIDED, payload, sig)
    _official(session, head, payload, sig, VOIDED)
    target = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == payload["target"]
        )
    ).first()
    if target is None or target.kind not in (BALLOT, PAPER_BALLOT) or target.voided_by is not None:
        raise EntryError(f"entry {payload['target']} is not a ballot that counts", head.size)
    if head.closed:
        raise EntryError("voting is closed", head.size)
    out = store.append(
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
) -> store.Appended:
    """Close the vote; with ``signer``, also sign the closing checkpoint."""
    head = store.lock_head(session, assembly_id)
    if head.closed:
        raise LogStateError(f"assembly {assembly_id}: voting is already closed")
    out = store.append(session, assembly_id, CLOSED, {"reason": reason}, now=now, head=head)
    head.closed = True
    if signer is not None:
        from ledger.checkpoints import issue_checkpoint

        issue_checkpoint(session, assembly_id, signer, now=now)
    return out


def publish_result(
    session: Session, assembly_id: int, result: dict[str, Any], now: dt.datetime | None = None
) -> store.Appended:
    """Append the tally (``voting.tally(...).to_json()``); only after closing, only once."""
    head = store.lock_head(session, assembly_id)
    if not head.closed:
        raise LogStateError("publish the result after voting is closed")
    if (
        session.scalar(
            select(LedgerEntry.index).where(
                LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind == RESULT
            )
        )
        is not None
    ):
        raise LogStateError("the result is already published")
    return store.append(session, assembly_id, RESULT, {"result": result}, now=now, head=head)


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
