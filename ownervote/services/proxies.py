"""Written proxies (委托书, 物业管理条例 第12条) registered by a committee member.

The agent is recorded in the ledger by a pseudonym (:func:`agent_ref`: a keyed hash of
their ID number), so the same person acting for several owners is recognised for the
assembly's proxy cap without their identity being published; their name is kept
encrypted for the committee (:class:`voting.store.models.Proxy`).  :func:`prepare`
checks the registration as the ledger will (:func:`ledger.store.committee.check_proxy`:
the proxy cap among the rules) before the member signs; :func:`register` appends the
signed entry and keeps the name, as one unit of work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import idnumbers
from identity.keyed import KeyedHasher
from identity.masking import mask_name
from identity.pii import PiiCipher, proxy_name_purpose
from ledger.ballots import new_nonce
from ledger.store import committee, logstore
from ledger.store.committee import check_proxy
from ledger.store.publish import published
from ownervote.services.committee_keys import append_signed
from voting.store.models import Proxy


@dataclass(frozen=True)
class ProxyRow:
    """A registered proxy as the committee's list shows it (the agent's name masked)."""

    units: tuple[str, ...]
    agent: str
    ref: str
    evidence: str | None
    entry: int | None
    at: dt.datetime


def agent_ref(hasher: KeyedHasher, id_type: str, number: str) -> str:
    """The agent's pseudonym in the ledger; raises :class:`~identity.errors.IdNumberError`."""
    code, normalised = idnumbers.validate(id_type, number)
    return "agent-" + hasher.id_hash(code, normalised, normalised=True)[:32]


def proxy_cap(session: Session, assembly_id: int) -> int | None:
    """The assembly's proxy cap as published (None: no cap)."""
    return published(session, assembly_id)[0].settings.proxy_cap


def registered(session: Session, assembly_id: int, *, cipher: PiiCipher) -> list[ProxyRow]:
    """The assembly's registered proxies, oldest first."""
    roster = published(session, assembly_id)[1]
    rows = []
    for p in session.scalars(select(Proxy).where(
            Proxy.assembly_id == assembly_id, Proxy.revoked_at.is_(None)).order_by(Proxy.id)):
        head = roster.heads.get(p.head_id)
        name = cipher.decrypt_text(p.agent_name_enc,
                                   purpose=proxy_name_purpose(assembly_id, p.agent_ref)) \
            if p.agent_name_enc else ""
        rows.append(ProxyRow(head.unit_ids if head else (p.head_id,),
                             mask_name(name) if name else p.agent_ref[:14], p.agent_ref,
                             p.evidence_sha256, p.entry_index, p.created_at))
    return rows


def prepare(session: Session, assembly_id: int, *, head_id: str, agent: str, official: str,
            now: dt.datetime) -> dict[str, Any]:
    """The payload the member signs to register ``agent`` for ``head_id``.

    Raises the ledger's refusal (:class:`~ledger.errors.LedgerError`: ``closed``,
    ``proxies_not_allowed``, ``proxy_cap_exceeded``, ``proxy_already_registered`` …).
    The written proxy's SHA-256 (``evidence_sha256``) is added by the caller once the
    file is stored, after these checks.
    """
    check_proxy(session, assembly_id, head_id, agent, now=now)
    return {"origin": logstore.get_head(session, assembly_id).origin, "head": head_id,
            "agent": agent, "official": official, "nonce": new_nonce()}


def register(session: Session, assembly_id: int, *, payload: dict[str, Any], sig: bytes,
             agent_name: str, staff_id: int, hasher: KeyedHasher, cipher: PiiCipher,
             now: dt.datetime, actor: str) -> logstore.Appended:
    """Append the signed proxy and keep the agent's name encrypted (one unit of work)."""
    ref, head = str(payload.get("agent", "")), str(payload.get("head", ""))

    def append(s: Session) -> logstore.Appended:
        out = committee.register_proxy(s, assembly_id, payload, sig, now=now)
        s.add(Proxy(
            assembly_id=assembly_id, head_id=head, agent_ref=ref,
            agent_name_enc=cipher.encrypt_text(agent_name,
                                               purpose=proxy_name_purpose(assembly_id, ref))
            if agent_name else None,
            evidence_sha256=payload.get("evidence_sha256"), entry_index=out.index,
            created_at=now))
        return out

    return append_signed(session, assembly_id, official=payload.get("official"),
                         staff_id=staff_id, hasher=hasher, actor=actor, action="proxy.register",
                         append=append, audit={"head": head})
