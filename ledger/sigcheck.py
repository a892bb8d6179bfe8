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
import json
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import canonical
from ledger.ballots import (
    HEAD_ID,
    PREFIXES,
    check_choices,
    load_official_key,
    load_p256,
    verify_p256_message,
    verify_signed,
)
from ledger.entries import BALLOT, KEY_ENROLLED, OFFICIAL_ENROLLED, SIGNED, parse_entry
from ledger.errors import EntryError, LedgerError

_BALLOT_PREFIX = PREFIXES[BALLOT]
_encode = canonical.encode_unchecked

# worker state, set by init()
_voter_spki: dict[str, bytes] = {}
_official_spki: dict[str, bytes] = {}
_log_key: Ed25519PublicKey | None = None
_cache: dict[str, Any] = {}


def init(voters: dict[str, bytes], officials: dict[str, bytes], log_key_raw: bytes) -> None:
    global _voter_spki, _official_spki, _log_key
    _voter_spki, _official_spki = voters, officials
    _log_key = Ed25519PublicKey.from_public_bytes(log_key_raw)
    _cache.clear()


def _voter_key(key_id: str) -> Any:
    k = _cache.get(key_id)
    if k is None:
        spki = _voter_spki.get(key_id)
        if spki is None:
            raise LedgerError(f"no enrolment of key {key_id[:16]} in the log")
        k = _cache[key_id] = load_p256(spki)
    return k


def _official_key(key_id: str) -> Any:
    k = _cache.get("o" + key_id)
    if k is None:
        spki = _official_spki.get(key_id)
        if spki is None:
            raise LedgerError(f"no enrolment of official key {key_id[:16]} in the log")
        k = _cache["o" + key_id] = load_official_key(spki)
    return k


def _check_signed(kind: str, body: dict[str, Any]) -> None:
    payload = body["payload"]
    sig = canonical.unb64url(body["sig"], "sig")
    message = PREFIXES[kind] + _encode(payload)
    who = SIGNED[kind]
    if who == "voter":
        verify_p256_message(_voter_key(payload["key"]), message, sig)
    elif who == "official":
        verify_signed(_official_key(payload["official"]), message, sig)
    else:
        verify_signed(_log_key, message, sig)
        if kind in (KEY_ENROLLED, OFFICIAL_ENROLLED):
            spki = canonical.unb64url(payload["spki"], "spki")
            kid = payload["key"] if kind == KEY_ENROLLED else payload["official"]
            if hashlib.sha256(spki).hexdigest() != kid:
                raise LedgerError("key id is not the SHA-256 of the enrolled SPKI")
            if kind == KEY_ENROLLED:
                load_p256(spki)
            else:
                load_official_key(spki)


_HEX64 = re.compile(r"[0-9a-f]{64}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{21}[AQgw]")
_SIG = re.compile(r"[A-Za-z0-9_-]{85}[AQgw]")
_BALLOT_KEYS = {"origin", "head", "key", "seq", "nonce", "choices"}
_MAX = canonical.MAX_INT


_decode_str = json.JSONDecoder().decode
_choice_cache: dict[tuple, bytes] = {}
_origin_cache: dict[str, bytes] = {}


def _choices_bytes(choices: dict) -> bytes:
    """Canonical bytes of a ballot's choices, cached for plain motion choices."""
    key = tuple(choices.items())
    hit = _choice_cache.get(key)
    if hit is not None:
        return hit
    check_choices(choices)
    encoded = _encode(choices)
    if len(_choice_cache) < 100_000 and all(type(v) is str for v in choices.values()):
        _choice_cache[key] = encoded
    return encoded


def _fast_ballot(data: bytes, index: int) -> tuple | None:
    """The common case, a well-formed ballot, checked without the generic parser.

    Returns ``(prev, time, payload, sig, payload bytes)`` or ``None`` to fall
    back to :func:`ledger.entries.parse_entry` (which then explains any
    problem).  The entry is accepted only if the canonical encoding rebuilt
    from the checked fields is exactly ``data``, so this path accepts nothing
    the generic one refuses.
    """
    try:
        obj = _decode_str(data.decode())
        body = obj["body"]
        p = body["payload"]
        sig = body["sig"]
        t = obj["time"]
        prev = obj["prev"]
        seq = p["seq"]
        origin = p["origin"]
        if not (
            obj["kind"] == "ballot"
            and obj["index"] == index
            and obj["v"] == 1
            and len(obj) == 6
            and len(body) == 2
            and p.keys() == _BALLOT_KEYS
            and type(t) is int
            and 0 <= t <= _MAX
            and type(seq) is int
            and 0 < seq <= _MAX
            and type(prev) is str
            and _HEX64.fullmatch(prev)
            and type(sig) is str
            and _SIG.fullmatch(sig)
            and type(p["key"]) is str
            and _HEX64.fullmatch(p["key"])
            and type(p["nonce"]) is str
            and _NONCE.fullmatch(p["nonce"])
            and type(origin) is str
            and origin
            and type(p["head"]) is str
            and HEAD_ID.fullmatch(p["head"])
        ):
            return None
        origin_bytes = _origin_cache.get(origin)
        if origin_bytes is None:
            origin_bytes = _origin_cache[origin] = _encode(origin)
        encoded = b"".join(
            (
                b'{"choices":',
                _choices_bytes(p["choices"]),
                b',"head":"',
                p["head"].encode(),
                b'","key":"',
                p["key"].encode(),
                b'","nonce":"',
                p["nonce"].encode(),
                b'","origin":',
                origin_bytes,
                b',"seq":',
                str(seq).encode(),
                b"}",
            )
        )
        expected = b"".join(
            (
                b'{"body":{"payload":',
                encoded,
                b',"sig":"',
                sig.encode(),
                b'"},"index":',
                str(index).encode(),
                b',"kind":"ballot","prev":"',
                prev.encode(),
                b'","time":',
                str(t).encode(),
                b',"v":1}',
            )
        )
    except (ValueError, KeyError, TypeError, AttributeError, LedgerError, UnicodeError):
        return None
    if expected != data:
        return None
    return bytes.fromhex(prev), t, p, sig, encoded


def check_chunk(start: int, lines: list[bytes]) -> tuple[int, bytes, bytes | None, list, list]:
    """Check ``lines`` (entries ``start``...).

    Returns ``(start, leaf hashes concatenated, prev of the first entry,
    records, errors)``.  A record is ``(time, head, key, seq, choices)`` for a
    ballot, the parsed :class:`Entry` otherwise, ``None`` for an unparsable
    entry; errors are ``(index, message)``.
    """
    sha256 = hashlib.sha256
    leaves = bytearray()
    records: list[Any] = []
    errors: list[tuple[int, str]] = []
    first_prev: bytes | None = None
    last_leaf: bytes | None = None
    ballot_prefix = _BALLOT_PREFIX
    for offset, data in enumerate(lines):
        index = start + offset
        leaf = sha256(b"\x00" + data).digest()
        leaves += leaf
        fast = _fast_ballot(data, index) if b'"kind":"ballot"' in data else None
        if fast is not None:
            prev, t, p, sig, encoded = fast
            if offset == 0:
                first_prev = prev
            elif prev != last_leaf:
                errors.append((index, "prev is not the hash of the entry before it"))
            last_leaf = leaf
            try:
                verify_p256_message(
                    _voter_key(p["key"]),
                    ballot_prefix + encoded,
                    base64.urlsafe_b64decode(sig + "=="),
                )
            except LedgerError as exc:
                errors.append((index, f"ballot: {exc}"))
            records.append((t, p["head"], p["key"], p["seq"], p["choices"], p["origin"]))
            continue
        try:
            e = parse_entry(data, index, fast=True)
        except EntryError as exc:
            errors.append((index, str(exc)))
            records.append(None)
            last_leaf = leaf
            continue
        if offset == 0:
            first_prev = e.prev
        elif e.prev != last_leaf:
            errors.append((index, "prev is not the hash of the entry before it"))
        last_leaf = leaf
        kind = e.kind
        if kind in SIGNED:
            try:
                _check_signed(kind, e.body)
            except LedgerError as exc:
                errors.append((index, f"{kind}: {exc}"))
        if kind == BALLOT:
            p = e.body["payload"]
            records.append((e.time, p["head"], p["key"], p["seq"], p["choices"], p["origin"]))
        else:
            records.append(e)
    return start, bytes(leaves), first_prev, records, errors
