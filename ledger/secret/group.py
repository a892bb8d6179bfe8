"""The prime-order group of the secret ballot: secp256k1 (SEC 2 §2.4.1), of prime order ``L``.

All arithmetic is libsecp256k1's, through :mod:`ledger.secret.fastops` (which also says
what this code adds to the library: the identity, scalar 0).  This module gives it a
:class:`Point` type and the encodings of docs/secret-ballots.md §2–§3:

* every point RECEIVED from outside goes through :func:`decode_point`, which accepts only a
  compressed encoding of a point of the curve — of the group, secp256k1 having cofactor 1 —
  and so never the identity;
* scalars are Python ints in ``[0, L)``; on the wire 64 lowercase hex digits, little-endian
  (§2.2); points are 33-byte SEC 1 compressed encodings, 66 lowercase hex digits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ledger.secret import fastops
from ledger.secret.fastops import GroupError, L

__all__ = ["DOMAIN", "G", "IDENTITY", "GroupError", "L", "Point", "base", "decode_point",
           "decode_scalar", "hash_to_scalar", "mul", "random_scalar", "scalar_bytes",
           "scalar_hex"]

#: domain prefix of every hash in the secret-ballot protocols (docs/secret-ballots.md §3)
DOMAIN = b"ownervote/secret-ballot/v2/"


@dataclass(frozen=True, slots=True)
class Point:
    """A point of the group, or the identity (never received, only computed)."""

    encoding: bytes

    def hex(self) -> str:
        return self.encoding.hex()

    def __add__(self, other: Point) -> Point:
        return Point(fastops.add(self.encoding, other.encoding))

    def __sub__(self, other: Point) -> Point:
        return Point(fastops.sub(self.encoding, other.encoding))

    def __neg__(self) -> Point:
        return Point(fastops.neg(self.encoding))

    def __rmul__(self, k: int) -> Point:
        return mul(k, self)


IDENTITY = Point(fastops.ID)
G = Point(fastops.GB)


def mul(k: int, p: Point) -> Point:
    """``k·P`` for any integer k (reduced mod L); 0 and the identity give the identity."""
    if p == G:
        return Point(fastops.base(k))
    return Point(fastops.mul(k, p.encoding))


def base(k: int) -> Point:
    """``k·G``."""
    return Point(fastops.base(k))


def decode_point(text: object, where: str) -> Point:
    """A received point: 66 lowercase hex digits of a compressed point of the curve."""
    raw = _lower_hex(text, where, 66)
    if not fastops.is_valid(raw):
        raise GroupError(where, "not a compressed point of secp256k1 "
                                "(or the identity, which is never valid here)")
    return Point(raw)


def decode_scalar(text: object, where: str) -> int:
    """A received scalar: 64 lowercase hex digits, little-endian, below L (0 allowed)."""
    value = int.from_bytes(_lower_hex(text, where, 64), "little")
    if value >= L:
        raise GroupError(where, "scalar is not reduced below the group order L")
    return value


def scalar_bytes(k: int) -> bytes:
    return (k % L).to_bytes(32, "little")


def scalar_hex(k: int) -> str:
    return scalar_bytes(k).hex()


def random_scalar() -> int:
    """A uniformly random non-zero scalar: 64 bytes of ``secrets``, little-endian, mod L."""
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


def _lower_hex(text: object, where: str, digits: int) -> bytes:
    """The bytes of exactly ``digits`` lowercase hex digits, or :class:`GroupError`."""
    if not isinstance(text, str) or len(text) != digits or text != text.lower():
        raise GroupError(where, f"expected {digits} lowercase hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise GroupError(where, f"expected {digits} lowercase hex digits") from None
