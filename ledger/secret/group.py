"""The prime-order group of the secret ballot: edwards25519's subgroup of order ``L``.

All arithmetic is libsodium's (through PyNaCl): ``crypto_core_ed25519_*`` for point
addition, subtraction, validation and scalar arithmetic, and
``crypto_scalarmult_ed25519_noclamp`` / ``…_base_noclamp`` for multiplication.  This module
only adds what libsodium leaves to the caller (docs/secret-ballots.md §2):

* libsodium refuses the identity (and every small-order point) as an input to scalar
  multiplication, and refuses to return the identity; the identity is a legitimate
  intermediate value here (``0·P``, ``G^0`` when a total is zero), so :func:`mul` handles
  scalar 0 and the identity itself, and never passes them to libsodium;
* every point RECEIVED from outside goes through :func:`decode_point`, which accepts only a
  canonical encoding of a point of the prime-order subgroup other than the identity.

Points are immutable 32-byte encodings (RFC 8032 §5.1.2); scalars are Python ints in
``[0, L)``; on the wire both are 64 lowercase hex digits (scalars little-endian).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from nacl import bindings as sodium
from nacl.exceptions import RuntimeError as SodiumRuntimeError

#: the order of the prime-order subgroup (and of the base point G)
L = 2**252 + 27742317777372353535851937790883648493

#: domain prefix of every hash in the secret-ballot protocols (docs/secret-ballots.md §3)
DOMAIN = b"ownervote/secret-ballot/v1/"


class GroupError(ValueError):
    """A point or scalar that is not what the protocol allows; ``where`` names it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Point:
    """A point of the prime-order subgroup, or the identity (never received, only computed)."""

    encoding: bytes

    def hex(self) -> str:
        return self.encoding.hex()

    def __add__(self, other: Point) -> Point:
        return Point(sodium.crypto_core_ed25519_add(self.encoding, other.encoding))

    def __sub__(self, other: Point) -> Point:
        return Point(sodium.crypto_core_ed25519_sub(self.encoding, other.encoding))

    def __neg__(self) -> Point:
        return IDENTITY - self

    def __rmul__(self, k: int) -> Point:
        return mul(k, self)


IDENTITY = Point(b"\x01" + b"\x00" * 31)
G = Point(sodium.crypto_scalarmult_ed25519_base_noclamp((1).to_bytes(32, "little")))


def mul(k: int, p: Point) -> Point:
    """``k·P`` for any integer k (reduced mod L); 0 and the identity give the identity."""
    k %= L
    if k == 0 or p == IDENTITY:
        return IDENTITY
    if p == G:
        return Point(sodium.crypto_scalarmult_ed25519_base_noclamp(scalar_bytes(k)))
    try:
        return Point(sodium.crypto_scalarmult_ed25519_noclamp(scalar_bytes(k), p.encoding))
    except SodiumRuntimeError:
        # only a point outside the prime-order subgroup can get here (decode_point keeps
        # them out); never a silent wrong answer
        raise GroupError("point", "not a point of the prime-order subgroup") from None


def base(k: int) -> Point:
    """``k·G``."""
    return mul(k, G)


def decode_point(text: object, where: str) -> Point:
    """A received point: 64 lowercase hex digits of a canonical prime-order, non-identity point."""
    raw = _hex32(text, where)
    if not sodium.crypto_core_ed25519_is_valid_point(raw):
        raise GroupError(where, "not a canonical point of the prime-order subgroup "
                                "(or the identity, which is never valid here)")
    return Point(raw)


def decode_scalar(text: object, where: str) -> int:
    """A received scalar: 64 lowercase hex digits, little-endian, below L (0 allowed)."""
    value = int.from_bytes(_hex32(text, where), "little")
    if value >= L:
        raise GroupError(where, "scalar is not reduced below the group order L")
    return value


def scalar_bytes(k: int) -> bytes:
    return (k % L).to_bytes(32, "little")


def scalar_hex(k: int) -> str:
    return scalar_bytes(k).hex()


def random_scalar() -> int:
    """A uniformly random non-zero scalar (libsodium's CSPRNG is not needed: ``secrets``)."""
    while True:
        k = int.from_bytes(secrets.token_bytes(64), "little") % L
        if k:
            return k


def hash_to_scalar(tag: str, *parts: bytes) -> int:
    """The Fiat–Shamir challenge: SHA-512(DOMAIN ‖ tag ‖ 0x00 ‖ (len32be ‖ part)…) mod L.

    Every part is length-prefixed, so no two different lists of parts hash alike.
    """
    h = hashlib.sha512(DOMAIN + tag.encode("ascii") + b"\x00")
    for part in parts:
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return int.from_bytes(h.digest(), "little") % L


def _hex32(text: object, where: str) -> bytes:
    if not isinstance(text, str) or len(text) != 64 or text != text.lower():
        raise GroupError(where, "expected 64 lowercase hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise GroupError(where, "expected 64 lowercase hex digits") from None
