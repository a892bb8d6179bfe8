"""The verifier's hot path on raw 32-byte encodings (no :class:`Point` objects).

Same arithmetic as :mod:`ledger.secret.group` — the libsodium functions PyNaCl's
``nacl.bindings`` wraps, called without the wrappers (:func:`_libsodium`) — with the
identity and scalar-0 rules of docs/secret-ballots.md §2.4, minus the cost of building a
frozen dataclass per operation (about half of a point addition's time).  Small multiples
``v·G`` (``v`` ≤ a few hundred: the values of a range proof) come from a table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from nacl import bindings as sodium

from ledger.secret.group import IDENTITY, G, GroupError, L

ID = IDENTITY.encoding
GB = G.encoding
_valid = sodium.crypto_core_ed25519_is_valid_point


def _libsodium() -> tuple[Any, Any]:
    """The libsodium functions under ``nacl.bindings`` (``ffi``, ``lib`` of PyNaCl's cffi
    module), called directly on the hot path: ``nacl.bindings``' wrappers check their
    arguments' types and lengths in Python on every call (a few µs: 5 % of a ballot's
    verification), which the callers here make sure of (32-byte encodings and scalars,
    as the functions below build or receive them).  The return codes are checked
    exactly as the wrappers check them."""
    from nacl import _sodium  # PyNaCl's own cffi module, which nacl.bindings wraps

    return _sodium.ffi, _sodium.lib


_ffi, _lib = _libsodium()
_new: Callable[[str], Any] = _ffi.new
_buffer: Callable[[Any, int], Any] = _ffi.buffer
_add = _lib.crypto_core_ed25519_add
_sub = _lib.crypto_core_ed25519_sub
_mul = _lib.crypto_scalarmult_ed25519_noclamp
_base = _lib.crypto_scalarmult_ed25519_base_noclamp
_OUT = "unsigned char[32]"


def add(p: bytes, q: bytes) -> bytes:
    """``P + Q`` of two 32-byte encodings (:class:`GroupError` if one is not on the curve)."""
    if len(p) != 32 or len(q) != 32:  # libsodium reads 32 bytes from each
        raise GroupError("point", "not 32 bytes")
    out = _new(_OUT)
    if _add(out, p, q) != 0:  # not a point of the curve: never a silent wrong answer
        raise GroupError("point", "not a point of the curve")
    return bytes(_buffer(out, 32))


def sub(p: bytes, q: bytes) -> bytes:
    """``P − Q`` of two 32-byte encodings (:class:`GroupError` if one is not on the curve)."""
    if len(p) != 32 or len(q) != 32:
        raise GroupError("point", "not 32 bytes")
    out = _new(_OUT)
    if _sub(out, p, q) != 0:
        raise GroupError("point", "not a point of the curve")
    return bytes(_buffer(out, 32))


def base(k: int) -> bytes:
    """``k·G`` (any integer k, reduced mod L; 0 gives the identity)."""
    k %= L
    if k == 0:
        return ID
    out = _new(_OUT)
    if _base(out, k.to_bytes(32, "little")) != 0:  # libsodium: only for k ≡ 0, excluded
        raise GroupError("scalar", "libsodium refused the base multiplication")
    return bytes(_buffer(out, 32))


def mul(k: int, p: bytes) -> bytes:
    """``k·P`` for P in the prime-order subgroup or the identity; any other 32 bytes raise
    :class:`GroupError` (libsodium's checks: canonical, not of small order, in the subgroup)."""
    k %= L
    if k == 0 or p == ID:
        return ID
    if len(p) != 32:
        raise GroupError("point", "not 32 bytes")
    out = _new(_OUT)
    if _mul(out, k.to_bytes(32, "little"), p) != 0:  # refused: never a silent wrong answer
        raise GroupError("point", "not a point of the prime-order subgroup")
    return bytes(_buffer(out, 32))


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
