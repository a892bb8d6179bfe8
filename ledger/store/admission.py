"""Checks shared by the validated appends (:mod:`ledger.store.writer` and friends)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ledger import canonical
from ledger.ballots import load_official_key, verify_signed
from ledger.entries import check_body, signed_message
from ledger.errors import BallotError, EntryError, LogStateError, Refusal, SignatureError
from ledger.note import Signer
from ledger.store.models import LedgerKey, LogHead


def require_open(head: LogHead, t: int, what: str, window: bool = True) -> None:
    """Refuse once voting is closed, and (``window``) outside the voting window."""
    if head.closed:
        raise BallotError(f"{what}: voting is closed", head.size, code=Refusal.CLOSED,
                          params={"closes_at_ms": head.closes_at_ms})
    if window and t < head.opens_at_ms:
        raise BallotError(f"{what}: voting has not opened yet", head.size,
                          code=Refusal.NOT_OPEN, params={"opens_at_ms": head.opens_at_ms})
    if window and t >= head.closes_at_ms:
        raise BallotError(f"{what}: the voting window has ended", head.size,
                          code=Refusal.CLOSED, params={"closes_at_ms": head.closes_at_ms})


def attest(signer: Signer, head: LogHead, kind: str, payload: dict[str, Any]) -> dict:
    """The body of a log-attested entry: the payload and the log key's signature."""
    if signer.verifier.vkey != head.log_vkey:
        raise LogStateError("this is not the key of this log")
    return {
        "payload": payload,
        "sig": canonical.b64url(signer.private_key.sign(signed_message(kind, payload))),
    }


def verify_official(session: Session, head: LogHead, payload: dict, sig: bytes, kind: str) -> None:
    """The payload is signed by an enrolled, unrevoked committee key."""
    row = session.get(LedgerKey, (head.assembly_id, payload.get("official")))
    if row is None or row.kind != "official" or row.revoked_index is not None:
        raise SignatureError(f"{kind}: signed by a key that is not an enrolled committee key",
                             code=Refusal.NOT_COMMITTEE_KEY)
    verify_signed(load_official_key(bytes(row.spki)), signed_message(kind, payload), sig)


def check_payload(head: LogHead, kind: str, payload: dict, sig: bytes) -> None:
    """Shape of a signed payload, and that it names this log."""
    check_body(kind, {"payload": payload, "sig": canonical.b64url(sig)}, head.size)
    if payload["origin"] != head.origin:
        raise EntryError(f"payload origin {payload['origin']!r} is not this log's", head.size,
                         code=Refusal.WRONG_LOG, params={"origin": payload["origin"]})
