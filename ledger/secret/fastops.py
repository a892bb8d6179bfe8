"""The verifier's hot path on raw 32-byte encodings (no :class:`Point` objects).

Same arithmetic as :mod:`ledger.secret.group` — libsodium through PyNaCl's public
``nacl.bindings`` — with the identity and scalar-0 rules of docs/secret-ballots.md §2.4,
minus the cost of building a frozen dataclass per operation (about half of a point
addition's time).  Small multiples ``v·G`` (``v`` ≤ a few hundred: the values of a range
proof) come from a table.
"""

from __future__ import annotations

from functools import lru_cache

from nacl import bindings as sodium
from nacl.exceptions import RuntimeError as SodiumRuntimeError

from ledger.secret.group import IDENTITY, G, GroupError, L

ID = IDENTITY.encoding
GB = G.encoding
_add = sodium.crypto_core_ed25519_add
_sub = sodium.crypto_core_ed25519_sub
_mul = sodium.crypto_scalarmult_ed25519_noclamp
_base = sodium.crypto_scalarmult_ed25519_base_noclamp
_valid = sodium.crypto_core_ed25519_is_valid_point


def add(p: bytes, q: bytes) -> bytes:
    try:
        return _add(p, q)
    except SodiumRuntimeError:  # not a point of the curve: never a silent wrong answer
        raise GroupError("point", "not a point of the curve") from None


def sub(p: bytes, q: bytes) -> bytes:
    try:
        return _sub(p, q)
    except SodiumRuntimeError:
        raise GroupError("point", "not a point of the curve") from None


def base(k: int) -> bytes:
    """``k·G`` (any integer k, reduced mod L; 0 gives the identity)."""
    k %= L
    if k == 0:
        return ID
    return _base(k.to_bytes(32, "little"))


def mul(k: int, p: bytes) -> bytes:
    """``k·P`` for P in the prime-order subgroup or the identity."""
    k %= L
    if k == 0 or p == ID:
        return ID
    try:
        return _mul(k.to_bytes(32, "little"), p)
    except SodiumRuntimeError:  # libsodium refused the point: never a silent wrong answer
        raise GroupError("point", "not a point of the prime-order subgroup") from None


def is_valid(p: bytes) -> bool:
    """§2.3: canonical, in the prime-order subgroup, not of small order (so not O)."""
    return bool(_valid(p))


def decode_deferred(text: object) -> bytes:
    """A received point's 32 bytes, checked only for its form (64 lowercase hex digits) and
    for not being the identity; its validity (§2.3) is left to the libsodium scalar
    multiplication it is about to go through, which refuses exactly what
    ``crypto_core_ed25519_is_valid_point`` refuses (non-canonical, small order, outside the
    prime-order subgroup).  For :func:`ledger.secret.ballot.verify_ballot`'s fast path only:
    raises ``ValueError``."""
    if not isinstance(text, str) or len(text) != 64 or text != text.lower():
        raise ValueError("not 64 lowercase hex digits")
    raw = bytes.fromhex(text)
    if raw == ID:
        raise ValueError("the identity")
    return raw


@lru_cache(maxsize=4096)
def small_multiple(v: int) -> bytes:
    """``v·G`` for a small non-negative v (cached: the values of range proofs)."""
    return base(v)
