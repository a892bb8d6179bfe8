"""Enrolling keys in a log: committee members' keys and voters' device keys (and revoking).

Runs in the caller's writer transaction (:func:`ledger.store.logstore.begin_write`).
Each enrolment is attested by the log key, so the binding of a key to a head
is signed and public (docs/audit-bundle.md §5.1).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import canonical, timestamps
from ledger.ballots import key_id, load_official_key, load_voter_key
from ledger.errors import EntryError, Refusal
from ledger.kinds import KEY_ENROLLED, KEY_REVOKED, OFFICIAL_ENROLLED, PROXY_REGISTERED
from ledger.note import Signer
from ledger.payloads import PROXY_ROLE
from ledger.store import logstore
from ledger.store.admission import attest, require_open
from ledger.store.models import LedgerEntry, LedgerKey
from ledger.store.publish import published
from ledger.store.sales import sales_now
from voting.heads import Roster


def enroll_official(
    session: Session,
    assembly_id: int,
    signer: Signer,
    spki: bytes,
    ref: str,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """Enroll a committee member's key (P-256 or Ed25519 SPKI); ``ref`` is pseudonymous."""
    head = logstore.lock_head(session, assembly_id)
    load_official_key(spki)
    kid = key_id(spki)
    if session.get(LedgerKey, (assembly_id, kid)) is not None:
        raise EntryError(f"key {kid[:16]} is already enrolled", head.size,
                         code=Refusal.KEY_ALREADY_ENROLLED, params={"key": kid})
    payload = {
        "origin": head.origin,
        "official": kid,
        "spki": canonical.b64url(spki),
        "role": "committee",
        "ref": ref,
    }
    out = logstore.append(
        session,
        assembly_id,
        OFFICIAL_ENROLLED,
        attest(signer, head, OFFICIAL_ENROLLED, payload),
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
) -> logstore.Appended:
    """Bind a voter's device key (P-256 SPKI from WebCrypto) to a head, attested by the log.

    ``voter`` is the pseudonymous reference of the person acting (co-owner rule);
    a ``proxy`` key names its ``agent`` and needs a registered proxy for the head.
    """
    head = logstore.lock_head(session, assembly_id)
    require_open(head, timestamps.now_ms(now), "key enrolment", window=False)
    load_voter_key(spki)
    roster = roster or published(session, assembly_id)[1]
    if head_id not in roster.heads:  # a head a sale made (voting.sales)?
        sales = sales_now(session, assembly_id)
        roster = sales.roster if sales is not None else roster
    if head_id not in roster.heads:
        raise EntryError(f"head {head_id} is not in the roster", head.size,
                         code=Refusal.HEAD_NOT_IN_ROSTER, params={"head": head_id})
    kid = key_id(spki)
    if session.get(LedgerKey, (assembly_id, kid)) is not None:
        raise EntryError(f"key {kid[:16]} is already enrolled", head.size,
                         code=Refusal.KEY_ALREADY_ENROLLED, params={"key": kid})
    if (
        role == PROXY_ROLE
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
        raise EntryError(f"no registered proxy of agent {agent} for head {head_id}", head.size,
                         code=Refusal.NO_PROXY_FOR_HEAD, params={"head": head_id, "agent": agent})
    payload = {
        "origin": head.origin,
        "head": head_id,
        "key": kid,
        "spki": canonical.b64url(spki),
        "role": role,
        "agent": agent,
        "voter": voter,
    }
    out = logstore.append(
        session,
        assembly_id,
        KEY_ENROLLED,
        attest(signer, head, KEY_ENROLLED, payload),
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
) -> logstore.Appended:
    """Revoke a device key (lost or replaced phone); its later ballots are refused."""
    head = logstore.lock_head(session, assembly_id)
    row = session.get(LedgerKey, (assembly_id, key))
    if row is None or row.kind != "voter" or row.revoked_index is not None:
        raise EntryError(f"key {key[:16]} is not an enrolled, unrevoked device key", head.size,
                         code=Refusal.KEY_NOT_ENROLLED, params={"key": key})
    payload = {"origin": head.origin, "head": row.head_id, "key": key, "reason": reason}
    out = logstore.append(
        session,
        assembly_id,
        KEY_REVOKED,
        attest(signer, head, KEY_REVOKED, payload),
        now=now,
        head=head,
        head_id=row.head_id,
    )
    row.revoked_index = out.index
    return out
