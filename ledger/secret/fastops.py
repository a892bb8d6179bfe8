"""The group arithmetic of the secret ballot on raw 33-byte encodings: libsecp256k1.

Every curve operation is libsecp256k1's (bitcoin-core/secp256k1, the C library behind
Bitcoin's signatures), through the cffi module that ``coincurve`` builds and ships with it
(``coincurve._libsecp256k1``: the same functions ``coincurve.PublicKey`` calls, without its
per-call objects — about 40 % of a multiplication's time).  This module only adds what the
library leaves to the caller (docs/secret-ballots.md §2.4):

* libsecp256k1 has no encoding for the point at infinity (the identity ``O``) and refuses
  it as an input; it is a legitimate intermediate value here (``0·P``, a total of zero), so
  ``O`` has its own encoding, :data:`ID` (33 zero bytes), and every function handles
  scalar 0 and ``O`` itself, never passing them to the library;
* a result that is ``O`` (``P + (−P)``) is reported by the library as a failure, which
  these functions turn back into :data:`ID` — the only failure possible once both inputs
  have parsed.

secp256k1 has prime order (cofactor 1): a 33-byte string that parses — prefix ``02`` or
``03``, ``x < p``, ``x³ + 7`` a square — *is* a point of the group, so parsing is the whole
validation of §2.3.  :class:`ledger.secret.group.Point` wraps these functions for code that
prefers objects; verifiers on the hot path call them directly.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from coincurve._libsecp256k1 import ffi, lib  # coincurve's own cffi build of libsecp256k1

#: the prime order of secp256k1 (SEC 2 §2.4.1's n), called L throughout, as in the spec
L = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

#: the identity's encoding (SEC 1 has none of fixed length; docs/secret-ballots.md §2.1)
ID = bytes(33)
#: the generator G, SEC 1 compressed
GB = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")


class GroupError(ValueError):
    """A point or scalar that is not what the protocol allows; ``where`` names it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _context() -> Any:
    """A context of our own (none of coincurve's objects are shared), randomized once: the
    library blinds its base multiplications (``k·G`` with secret ``k``) with the seed."""
    ctx = ffi.gc(lib.secp256k1_context_create(lib.SECP256K1_CONTEXT_NONE),
                 lib.secp256k1_context_destroy)
    if lib.secp256k1_context_randomize(ctx, secrets.token_bytes(32)) != 1:
        raise RuntimeError("libsecp256k1 refused to randomize its context")
    return ctx


_CTX = _context()
_new = ffi.new
_buffer = ffi.buffer
_parse = lib.secp256k1_ec_pubkey_parse
_serialize = lib.secp256k1_ec_pubkey_serialize
_tweak_mul = lib.secp256k1_ec_pubkey_tweak_mul
_create = lib.secp256k1_ec_pubkey_create
_combine = lib.secp256k1_ec_pubkey_combine
_COMPRESSED = lib.SECP256K1_EC_COMPRESSED
_KEY = "secp256k1_pubkey *"


#: points parsed lately (encoding → the library's point): a verification meets ``Hk`` in
#: every branch and each ciphertext component in two, and a parse is a square root (~7 µs)
#: where copying a parsed point is a memory copy.  Parsing is a pure function, so the cache
#: can only save time; it is emptied when full.
_PARSED: dict[bytes, Any] = {}
_PARSED_MAX = 4096


def _load(p: bytes) -> Any:
    """``p`` parsed (a point other than O) in a new point object the caller may change, or
    :class:`GroupError`."""
    key = _new(_KEY)
    parsed = _PARSED.get(p)
    if parsed is not None:
        key[0] = parsed[0]
        return key
    if len(p) != 33 or p[0] not in (2, 3) or _parse(_CTX, key, p, 33) != 1:
        raise GroupError("point", "not a compressed point of secp256k1")
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    kept = _new(_KEY)
    kept[0] = key[0]
    _PARSED[p] = kept
    return key


def forget_parsed() -> None:
    """Empty :data:`_PARSED` (bench/secret.py times the library's parse, not the cache)."""
    _PARSED.clear()


def _store(key: Any) -> bytes:
    out = _new("unsigned char[33]")
    size = _new("size_t *", 33)
    _serialize(_CTX, out, size, key, _COMPRESSED)
    return bytes(_buffer(out, 33))


def _be(k: int) -> bytes:
    return k.to_bytes(32, "big")  # libsecp256k1 reads scalars big-endian


def is_valid(p: bytes) -> bool:
    """§2.3: a compressed encoding of a point of the curve (so of the group, and never O)."""
    try:
        _load(p)
    except GroupError:
        return False
    return True


def neg(p: bytes) -> bytes:
    """``−P``: the same x, the other parity of y (SEC 1 prefix 02 ↔ 03); ``−O = O``."""
    if p == ID:
        return ID
    _load(p)  # never a silent answer for 33 bytes that are not a point
    return bytes((p[0] ^ 1,)) + p[1:]


def base(k: int) -> bytes:
    """``k·G`` (any integer k, reduced mod L; 0 gives O)."""
    k %= L
    if k == 0:
        return ID
    key = _new(_KEY)
    if _create(_CTX, key, _be(k)) != 1:  # only for k ≡ 0 mod L, excluded above
        raise GroupError("scalar", "libsecp256k1 refused the base multiplication")
    return _store(key)


def mul(k: int, p: bytes) -> bytes:
    """``k·P`` for a point P or O; any other 33 bytes raise :class:`GroupError` (even with
    k ≡ 0: the point is parsed first)."""
    return combination(((k, p),))


def combination(terms: tuple[tuple[int, bytes], ...], g: int = 0) -> bytes:
    """``Σ k_i·P_i + g·G`` on the library's own point type: each point parsed (or copied,
    :data:`_PARSED`), one multiplication per term, one sum, one serialization (the
    verifiers' ``z·G − c·A`` is ``combination(((−c, A),), z)``).  Points are points or O;
    scalars any integers.  A factor 1 costs no multiplication, −1 only the negation of the
    encoding."""
    keys = []
    for k, p in terms:
        if p == ID:
            continue
        k %= L
        if k == L - 1:  # −P: parse the encoding with the other y (the same checks)
            k, p = 1, bytes((p[0] ^ 1,)) + p[1:] if p[:1] in (b"\x02", b"\x03") else p
        key = _load(p)
        if k == 1:
            keys.append(key)
        elif k:
            _tweak_mul(_CTX, key, _be(k))  # cannot fail: 0 < k < L, P ≠ O (prime order)
            keys.append(key)
    g %= L
    if g:  # the library's base multiplication, not tweak_add: that one costs a full
        key = _new(_KEY)  # variable-base pass (~1.5× a base multiplication, measured)
        _create(_CTX, key, _be(g))
        keys.append(key)
    if not keys:
        return ID
    if len(keys) == 1:
        return _store(keys[0])
    out = _new(_KEY)
    if _combine(_CTX, out, _new(f"secp256k1_pubkey *[{len(keys)}]", keys), len(keys)) != 1:
        return ID  # the only failure once every key parsed: the sum is O
    return _store(out)


def progression(start: bytes, step: bytes, count: int) -> Iterator[bytes]:
    """The encodings of ``start + i·step`` for ``i = 0 … count − 1`` (points or O), each one
    addition on the library's point type and one serialization: baby-step giant-step's
    inner loops (:mod:`ledger.secret.dlog`)."""
    if step == ID:
        for _ in range(count):
            yield start
        return
    step_key = _load(step)
    current = None if start == ID else _load(start)
    pair = _new("secp256k1_pubkey *[2]")
    pair[1] = step_key
    for _ in range(count):
        if current is None:
            yield ID
            current = _new(_KEY)
            current[0] = step_key[0]
            continue
        yield _store(current)
        pair[0] = current
        nxt = _new(_KEY)
        current = nxt if _combine(_CTX, nxt, pair, 2) == 1 else None


def add(p: bytes, q: bytes) -> bytes:
    """``P + Q`` of two points or O (:class:`GroupError` for anything else)."""
    return combination(((1, p), (1, q)))


def sub(p: bytes, q: bytes) -> bytes:
    """``P − Q`` of two points or O (:class:`GroupError` for anything else)."""
    return combination(((1, p), (L - 1, q)))


def decode_deferred(text: object) -> bytes:
    """A received point's 33 bytes, checked only for its form (66 lowercase hex digits) and
    for not being O's encoding; whether it is a point of the curve (§2.3) is left to the
    library's parse in the multiplication it is about to go through, which refuses exactly
    what :func:`is_valid` refuses.  For :func:`ledger.secret.ballot.verify_ballot`'s fast
    path only: raises ``ValueError``."""
    if not isinstance(text, str) or len(text) != 66 or text != text.lower():
        raise ValueError("not 66 lowercase hex digits")
    raw = bytes.fromhex(text)
    if raw == ID:
        raise ValueError("the identity")
    return raw


@lru_cache(maxsize=4096)
def small_multiple(v: int) -> bytes:
    """``v·G`` for a small non-negative v (cached: the values of range proofs)."""
    return base(v)
