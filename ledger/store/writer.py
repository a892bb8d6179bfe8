"""What the web layer calls: validated appends of every entry kind.

Each function runs in the caller's writer transaction (start it with
:func:`ledger.store.logstore.begin_write`, commit after), takes the log's lock, checks
the entry exactly as the offline verifier will (signature, key, per-head
ballot number, window, voting's casting rules) and appends it.  A refusal is a
:class:`~ledger.errors.BallotError` / :class:`~ledger.errors.EntryError` (or
voting's :class:`~voting.errors.CastRefused`) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import canonical, payloads, timestamps
from ledger.allowance import Window, retry_at
from ledger.ballots import key_id, load_voter_key, verify_signed
from ledger.documents import convert_choices
from ledger.entries import check_body, parse_entry, signed_message
from ledger.errors import BallotError, EntryError, Refusal
from ledger.kinds import BALLOT, PAPER_BALLOT
from ledger.store import castpath, logstore, trustees
from ledger.store.admission import check_payload, require_open, verify_official
from ledger.store.castpath import KeyRow
from ledger.store.headstate import event, head_rules, key_row
from ledger.store.models import VOTER_KEY, LedgerEntry, LogHead
from ledger.store.publish import published
from ledger.store.sales import check_head_cast
from voting.heads import Roster


def next_seq(session: Session, assembly_id: int, head_id: str) -> int:
    """The ballot number the head's next ballot must carry (the phone signs it)."""
    last = session.scalar(
        select(func.max(LedgerEntry.seq)).where(
            LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == head_id
        )
    )
    return (last or 0) + 1


def _device_key(session: Session, assembly_id: int, kid: str) -> Any:
    """The loaded public key of voter key ``kid`` (None: not enrolled in the log).  Kept per
    process by key id (:data:`ledger.store.castpath.DEVICE_KEYS`): a key id is the SHA-256
    of the key's SPKI, so the entry can never be wrong for any log; whether the key is
    enrolled (and not revoked) in this log is read under the writer lock for every
    ballot."""
    key = castpath.DEVICE_KEYS.get(kid)
    if key is None:
        der = castpath.read_spki(session, assembly_id, kid)
        if der is None or key_id(der) != kid:
            return None
        key = castpath.DEVICE_KEYS.put(kid, load_voter_key(der))
    return key


def _verified(kid: str, message: bytes, sig: bytes) -> bytes:
    return hashlib.sha256(b"%s\n%s\n%s" % (kid.encode(), message, sig)).digest()


def ballot_message(payload: dict[str, Any], sig: bytes) -> bytes:
    """A ballot's shape checked; the exact bytes its device signed (no database)."""
    check_body(BALLOT, {"payload": payload, "sig": canonical.b64url(sig)}, None)
    return signed_message(BALLOT, payload)


def verify_if_key_known(kid: str, message: bytes, sig: bytes) -> bool:
    """Check the signature now if this process knows the device key (else False: later).
    Raises :class:`~ledger.errors.SignatureError` for a wrong signature."""
    key = castpath.DEVICE_KEYS.get(kid)
    if key is None:
        return False
    _verify_once(key, kid, message, sig)
    return True


def load_device_keys(session: Session, assembly_id: int, kids: list[str]) -> None:
    """Fetch the SPKIs of ``kids`` enrolled in the log in one read (for later checks)."""
    wanted = [k for k in dict.fromkeys(kids) if k not in castpath.DEVICE_KEYS]
    if not wanted:
        return
    for kid, der in castpath.read_spkis(session, assembly_id, wanted):
        if key_id(der) == kid:
            castpath.DEVICE_KEYS.put(kid, load_voter_key(der))


def preverify_ballot(session: Session, assembly_id: int, payload: dict[str, Any],
                     sig: bytes) -> bytes:
    """Check a ballot's shape and its device signature *before* the writer transaction.

    Optional: :func:`cast_ballot` checks everything itself, but a signature checked
    here (ECDSA P-256, the costliest step) is not checked again while the log's lock
    is held.  Raises :class:`~ledger.errors.SignatureError` for a wrong signature;
    an unknown key is left for :func:`cast_ballot` to refuse.  Returns the signed
    message, which :func:`check_ballot` takes (``message=``) to skip what was done here.
    """
    message = ballot_message(payload, sig)
    key = _device_key(session, assembly_id, payload["key"])
    if key is not None:
        _verify_once(key, payload["key"], message, sig)
    return message


def _verify_once(key: Any, kid: str, message: bytes, sig: bytes) -> None:
    """Verify a signature, once per process (:data:`ledger.store.castpath.VERIFIED_SIGNATURES`)."""
    digest = _verified(kid, message, sig)
    if digest in castpath.VERIFIED_SIGNATURES:
        return
    verify_signed(key, message, sig)
    castpath.VERIFIED_SIGNATURES.put(digest, None)


def check_rules(session: Session, head: LogHead, kind: str, p: dict, roster: Roster | None,
                key: KeyRow | None = None, *, allowance: Sequence[Window] = (),
                now_ms: int | None = None, dry_run: bool = False,
                message: bytes | None = None) -> None:
    """The casting rules for a ballot or paper ballot (payload ``p``) against the log now,
    under its lock: the head's next ballot number, the ballot's mode and a secret ballot's
    proofs (:func:`ledger.store.trustees.check_ballot_content`), its casting allowance
    (``allowance``, phone ballots only: :mod:`ledger.allowance`), then
    :func:`voting.casting.check_cast`
    (``key``: the ballot's device key row).  Raises the refusal; writes nothing.

    ``dry_run``: a paper ballot not signed yet, whose ``choices`` the member's device will
    encrypt in a secret assembly: its mode is not judged, its choices are (as in an open
    one), and the encrypted ballot is checked in full when it is entered.  ``message``:
    the bytes the payload's signer signed, if known (``signed_message(kind, p)``)."""
    adef, published_roster = published(session, head.assembly_id)
    state = head_rules(session, head.assembly_id, p["head"],
                       {} if key is None else {p["key"]: key})
    if p["seq"] != state.next_seq:
        raise BallotError(
            f"ballot number {p['seq']} is not the head's next ({state.next_seq}); "
            "fetch it and sign again",
            head.size, code=Refusal.SEQ_CONFLICT, params={"next_seq": state.next_seq},
        )
    if not (dry_run and "choices" in p):
        trustees.check_ballot_content(session, head.assembly_id, adef, kind, p,
                                      message=message)
    if allowance and kind == BALLOT:
        free_at = retry_at(state.cast_times, timestamps.now_ms() if now_ms is None else now_ms,
                           allowance)
        if free_at is not None:
            raise BallotError("this home has cast as many ballots as the server accepts for "
                              "now", head.size, code=Refusal.TOO_MANY_BALLOTS,
                              params={"retry_at_ms": free_at})
    new = event(head.size, kind, p["head"], payloads.ballot_choices(p), key, p.get("voter"))
    agent_heads: set[str] = set()
    if new.agent is not None:
        agent_heads = castpath.read_agent_heads(session, head.assembly_id, new.agent)
    check_head_cast(session, head.assembly_id, state, new, adef, roster or published_roster,
                    agent_heads)


def check_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    *,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
    message: bytes | None = None,
    allowance: Sequence[Window] = (),
) -> tuple[LogHead, KeyRow]:
    """Every check :func:`cast_ballot` makes, under the log's lock; writes nothing
    (``allowance``: the head's casting allowance, :mod:`ledger.allowance`; none if empty).

    The signature is checked before the lock is taken (a device key never changes
    once enrolled); enrolment, revocation, head, ballot number, window and the
    casting rules are checked under the lock.  ``message``: what
    :func:`preverify_ballot` returned for this very payload (its shape is then not
    checked again).  Returns what :func:`append_ballot` needs; raises on refusal.
    """
    if message is None:
        message = preverify_ballot(session, assembly_id, payload, sig)
    head = logstore.lock_head(session, assembly_id)
    if payload["origin"] != head.origin:  # the rest of guards.check_payload: done before
        raise EntryError(f"payload origin {payload['origin']!r} is not this log's", head.size,
                         code=Refusal.WRONG_LOG, params={"origin": payload["origin"]})
    now_ms = max(timestamps.now_ms(now), head.last_time_ms)
    require_open(head, now_ms, "ballot")
    k = key_row(session, assembly_id, payload["key"])
    key = {"key": payload["key"]}
    if k is None or k.kind != VOTER_KEY:
        raise BallotError(f"key {payload['key'][:16]} is not enrolled in this log", head.size,
                          code=Refusal.KEY_NOT_ENROLLED, params=key)
    if k.revoked_index is not None:
        raise BallotError(f"key {payload['key'][:16]} was revoked", head.size,
                          code=Refusal.KEY_REVOKED, params=key)
    if k.head_id != payload["head"]:
        raise BallotError("this key is enrolled for another head", head.size,
                          code=Refusal.WRONG_HEAD, params=key)
    public = _device_key(session, assembly_id, payload["key"])
    if public is None:
        raise BallotError(f"key {payload['key'][:16]} is not enrolled in this log", head.size,
                          code=Refusal.KEY_NOT_ENROLLED, params=key)
    _verify_once(public, payload["key"], message, sig)
    check_rules(session, head, BALLOT, payload, roster, k, allowance=allowance, now_ms=now_ms,
                message=message)
    return head, k


def append_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    checked: tuple[LogHead, KeyRow],
    *,
    now: dt.datetime | None = None,
) -> logstore.Appended:
    """Append a ballot :func:`check_ballot` accepted, in the same transaction, still locked."""
    head, k = checked
    return logstore.append(
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


def cast_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    *,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
) -> logstore.Appended:
    """Append a voter's ballot after every check the verifier makes.

    ``payload`` is what the phone signed (:func:`ledger.ballots.ballot_payload`),
    ``sig`` its 64-byte P1363 signature.  Raises and writes nothing on refusal.
    """
    checked = check_ballot(session, assembly_id, payload, sig, now=now, roster=roster)
    return append_ballot(session, assembly_id, payload, sig, checked, now=now)


def enter_paper_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes,
    *,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
) -> logstore.Appended:
    """Append a paper ballot entered and signed by a committee member (with the scan's SHA-256)."""
    head = logstore.lock_head(session, assembly_id)
    _paper_checks(session, head, payload, sig, now=now, roster=roster)
    return logstore.append(
        session,
        assembly_id,
        PAPER_BALLOT,
        {"payload": payload, "sig": canonical.b64url(sig)},
        now=now,
        head=head,
        head_id=payload["head"],
        seq=payload["seq"],
    )


def live_ballots(session: Session, assembly_id: int) -> Iterator[tuple[int, payloads.AnyBallot]]:
    """The non-voided ballots (electronic and paper) in log order, with their indices."""
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
        yield index, parse_entry(bytes(body), index).payload_as(payloads.AnyBallot)


def counted_votes(session: Session, assembly_id: int) -> dict[tuple[str, str], Any]:
    """The vote that counts per (head, item): the last non-voided ballot on each item."""
    votes: dict[tuple[str, str], Any] = {}
    for _index, p in live_ballots(session, assembly_id):
        for item, vote in convert_choices(p.choices).items():
            votes[(p.head, item)] = vote
    return votes


def check_paper_ballot(
    session: Session,
    assembly_id: int,
    payload: dict[str, Any],
    sig: bytes | None = None,
    *,
    now: dt.datetime | None = None,
    roster: Roster | None = None,
) -> None:
    """The checks :func:`enter_paper_ballot` makes, writing nothing (a dry run).

    For the page that prepares a paper ballot: a double vote or a wrong choice is
    explained before the member signs anything.  Without ``sig`` (nothing is signed yet)
    the payload's shape and the committee key's signature are not checked; the log's
    head is read without its lock, so :func:`enter_paper_ballot` checks everything
    again under the lock.  Raises what :func:`enter_paper_ballot` raises.
    """
    _paper_checks(session, logstore.get_head(session, assembly_id), payload, sig, now=now,
                  roster=roster)


def _paper_checks(session: Session, head: LogHead, payload: dict[str, Any], sig: bytes | None,
                  *, now: dt.datetime | None, roster: Roster | None) -> None:
    """A paper ballot's checks against ``head`` (without ``sig``: its shape and signature
    are not checked yet, only that it names this log)."""
    if sig is not None:
        check_payload(head, PAPER_BALLOT, payload, sig)
    elif payload["origin"] != head.origin:
        raise EntryError(f"payload origin {payload['origin']!r} is not this log's", head.size,
                         code=Refusal.WRONG_LOG, params={"origin": payload["origin"]})
    require_open(head, max(timestamps.now_ms(now), head.last_time_ms), "paper ballot")
    if sig is not None:
        verify_official(session, head, payload, sig, PAPER_BALLOT)
    check_rules(session, head, PAPER_BALLOT, payload, roster, dry_run=sig is None)
