"""Per-chunk entry checks that need no order: run in worker processes.

A worker parses each entry (canonical form, envelope, body schema), computes
its entry hash, checks the chain inside the chunk, and verifies every
signature: voters' ECDSA P-256, officials' P-256/Ed25519 and the log key's
Ed25519 attestations.  Keys come from a table built before the run (first pass)
keyed by key id = SHA-256(SPKI), so a key's bytes are bound to its id whatever
entry they came from; *whether* a key may sign at that point is decided in order by
:mod:`ledger.replay`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import canonical
from ledger.ballots import (
    PREFIXES,
    check_choices,
    load_official_key,
    load_voter_key,
    verify_p256_message,
    verify_signed,
)
from ledger.entries import Entry, parse_entry
from ledger.errors import EntryError, LedgerError
from ledger.kinds import BALLOT, PAPER_BALLOT, SIGNED
from ledger.payloads import COMMITTEE_SIGNED, AnyBallot, Ballot, KeyEnrolled, OfficialEnrolled
from ledger.replaysecret import ProofHint, proofs_hold

BALLOT_KINDS = (BALLOT, PAPER_BALLOT)

# A ballot as the replay reads it: (time, head, key, seq, choices, origin); the choices
# are their canonical bytes (fast path) or the parsed object.
BallotRecord = tuple[int, str, str, int, bytes | dict[str, Any], str]
# An entry's record: a ballot, any other parsed entry, or None (unparsable).
Record = BallotRecord | Entry | None
#: The two checks a chunk's findings belong to (docs/audit-bundle.md §10 step 5).
CHAIN = "chain"  # encoding, envelope, schema, prev
SIGNATURE = "signature"  # signatures and the keys they need
# An error: (entry index, CHAIN or SIGNATURE, message)
ChunkError = tuple[int, str, str]
# check_chunk's answer: (start, leaf hashes, prev of the first entry, records, errors,
# secret ballots whose proofs verified with the proof hint)
ChunkResult = tuple[int, bytes, bytes | None, list[Record], list[ChunkError], list[int]]
# _fast_ballot's answer: (prev, time, head, key, seq, choices, origin, sig, payload bytes)
FastBallot = tuple[bytes, int, str, str, int, bytes, str, str, bytes]

_BALLOT_PREFIX = PREFIXES[BALLOT]
_encode = canonical.encode_unchecked

# worker state, set by init()
_voter_spki: dict[str, bytes] = {}
_official_spki: dict[str, bytes] = {}
_log_key: Ed25519PublicKey | None = None
_cache: dict[str, Any] = {}
_secret: ProofHint | None = None


def init(voters: dict[str, bytes], officials: dict[str, bytes], log_key_raw: bytes,
         secret: ProofHint | None = None) -> None:
    global _voter_spki, _official_spki, _log_key, _secret
    _voter_spki, _official_spki, _secret = voters, officials, secret
    _log_key = Ed25519PublicKey.from_public_bytes(log_key_raw)
    _cache.clear()


def _voter_key(key_id: str) -> Any:
    k = _cache.get(key_id)
    if k is None:
        spki = _voter_spki.get(key_id)
        if spki is None:
            raise LedgerError(f"no enrolment of key {key_id[:16]} in the log")
        k = _cache[key_id] = load_voter_key(spki)
    return k


def _official_key(key_id: str) -> Any:
    k = _cache.get("o" + key_id)
    if k is None:
        spki = _official_spki.get(key_id)
        if spki is None:
            raise LedgerError(f"no enrolment of official key {key_id[:16]} in the log")
        k = _cache["o" + key_id] = load_official_key(spki)
    return k


def _check_signed(e: Entry) -> None:
    """The signature of a signed entry; the message is the payload as the entry holds it."""
    p = e.payload
    sig = canonical.unb64url(e.body["sig"], "sig")
    message = PREFIXES[e.kind] + _encode(e.body["payload"])
    if isinstance(p, Ballot):
        verify_p256_message(_voter_key(p.key), message, sig)
    elif isinstance(p, COMMITTEE_SIGNED):
        verify_signed(_official_key(p.official), message, sig)
    else:
        verify_signed(_log_key, message, sig)
        if isinstance(p, KeyEnrolled | OfficialEnrolled):
            spki = canonical.unb64url(p.spki, "spki")
            kid = p.key if isinstance(p, KeyEnrolled) else p.official
            if hashlib.sha256(spki).hexdigest() != kid:
                raise LedgerError("key id is not the SHA-256 of the enrolled SPKI")
            if isinstance(p, KeyEnrolled):
                load_voter_key(spki)
            else:
                load_official_key(spki)


_STRING = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
# A ballot entry in canonical form, field by field (keys sorted, no spaces).  Only
# what this pattern matches takes the fast path; everything else is parsed by
# ledger.entries.parse_entry, which explains any problem.
_BALLOT_LINE = re.compile(
    rb'\{"body":\{"payload":(?P<payload>\{"choices":(?P<choices>\{(?:[^"{}]++|'
    + _STRING
    + rb')*+\}),"head":"(?P<head>[A-Za-z0-9_.:-]{1,64})","key":"(?P<key>[0-9a-f]{64})",'
    rb'"nonce":"[A-Za-z0-9_-]{21}[AQgw]","origin":(?P<origin>' + _STRING + rb"),"
    rb'"seq":(?P<seq>[1-9][0-9]{0,15})\}),"sig":"(?P<sig>[A-Za-z0-9_-]{85}[AQgw])"\},'
    rb'"index":(?P<index>0|[1-9][0-9]{0,15}),"kind":"ballot","prev":"(?P<prev>[0-9a-f]{64})",'
    rb'"time":(?P<time>0|[1-9][0-9]{0,15}),"v":1\}',
    re.DOTALL,
)
_BALLOT_START = b'{"body":{"payload":{"choices":'
_MAX = canonical.MAX_INT
_choices_cache: dict[bytes, dict[str, Any]] = {}
_origin_cache: dict[bytes, str] = {}


def _choices(segment: bytes) -> dict[str, Any]:
    """The choices object of a ballot from its canonical bytes (checked once, then cached)."""
    hit = _choices_cache.get(segment)
    if hit is None:
        hit = canonical.decode(segment)
        check_choices(hit)
        if len(_choices_cache) < 100_000:
            _choices_cache[segment] = hit
    return hit


def _origin(segment: bytes) -> str:
    hit = _origin_cache.get(segment)
    if hit is None:
        hit = canonical.decode(segment)
        if not isinstance(hit, str) or not hit:
            raise LedgerError("origin must be a non-empty string")
        if len(_origin_cache) < 1000:
            _origin_cache[segment] = hit
    return hit


def _fast_ballot(data: bytes, index: int) -> FastBallot | None:
    """The common case, a canonical ballot line, checked without a JSON parser.

    Returns ``(prev, time, head, key, seq, choices, origin, sig, payload bytes)`` or
    ``None`` to fall back to :func:`ledger.entries.parse_entry`.  The pattern
    admits only the canonical encoding (sorted keys, no spaces, no leading
    zeros, strings without escapes except inside choices and origin, which are
    decoded strictly), so the payload's canonical bytes are a slice of the line.
    """
    m = _BALLOT_LINE.fullmatch(data)
    if m is None:
        return None
    try:
        if int(m["index"]) != index:
            return None
        t, seq = int(m["time"]), int(m["seq"])
        if t > _MAX or seq > _MAX:
            return None
        _choices(m["choices"])  # checked (and cached) here; replayed from its bytes
        origin = _origin(m["origin"])
    except (LedgerError, ValueError):
        return None
    return (
        bytes.fromhex(m["prev"].decode()),
        t,
        m["head"].decode(),
        m["key"].decode(),
        seq,
        m["choices"],
        origin,
        m["sig"].decode(),
        m["payload"],
    )


def check_chunk(start: int, lines: list[bytes]) -> ChunkResult:
    """Check ``lines`` (entries ``start``...).

    Returns ``(start, leaf hashes concatenated, prev of the first entry,
    records, errors)``.  A record is ``(time, head, key, seq, choices)`` for a
    ballot, the parsed :class:`Entry` otherwise, ``None`` for an unparsable
    entry; errors are ``(index, CHAIN or SIGNATURE, message)`` — classified by what
    failed, never by the message's words.
    """
    sha256 = hashlib.sha256
    leaves = bytearray()
    records: list[Record] = []
    errors: list[ChunkError] = []
    proved: list[int] = []
    first_prev: bytes | None = None
    last_leaf: bytes | None = None
    ballot_prefix = _BALLOT_PREFIX
    for offset, data in enumerate(lines):
        index = start + offset
        leaf = sha256(b"\x00" + data).digest()
        leaves += leaf
        fast = _fast_ballot(data, index) if data.startswith(_BALLOT_START) else None
        if fast is not None:
            prev, t, head, key, seq, choices_bytes, origin, sig, encoded = fast
            if offset == 0:
                first_prev = prev
            elif prev != last_leaf:
                errors.append((index, CHAIN, "prev is not the hash of the entry before it"))
            last_leaf = leaf
            try:
                verify_p256_message(
                    _voter_key(key),
                    ballot_prefix + encoded,
                    base64.urlsafe_b64decode(sig + "=="),
                )
            except LedgerError as exc:
                errors.append((index, SIGNATURE, f"ballot: {exc}"))
            records.append((t, head, key, seq, choices_bytes, origin))
            continue
        try:
            e = parse_entry(data, index, fast=True)
        except EntryError as exc:
            errors.append((index, CHAIN, str(exc).removeprefix(f"entry {index}: ")))
            records.append(None)
            last_leaf = leaf
            continue
        if offset == 0:
            first_prev = e.prev
        elif e.prev != last_leaf:
            errors.append((index, CHAIN, "prev is not the hash of the entry before it"))
        last_leaf = leaf
        kind = e.kind
        if kind in SIGNED:
            try:
                _check_signed(e)
            except LedgerError as exc:
                errors.append((index, SIGNATURE, f"{kind}: {exc}"))
        if kind in BALLOT_KINDS and _secret is not None:  # a secret ballot's proofs
            p = e.payload_as(AnyBallot)
            if p.encrypted is not None and proofs_hold(_secret, kind, p):
                proved.append(index)
        if kind == BALLOT and e.payload_as(Ballot).encrypted is None:  # a secret one: feed()
            b = e.payload_as(Ballot)
            records.append((e.time, b.head, b.key, b.seq, b.choices_json(), b.origin))
        else:
            records.append(e)
    return start, bytes(leaves), first_prev, records, errors, proved
