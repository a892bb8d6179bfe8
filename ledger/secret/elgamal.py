"""Exponential ElGamal in secp256k1, a group of prime order (docs/secret-ballots.md §4).

``Enc(m; r) = (A, B) = (r·G, r·Hk + m·G)``.  Ciphertexts add (the plaintexts add) and
scale by a non-negative integer weight (the plaintext is multiplied), so an item's totals
are computed from the ballots by anyone; only totals are ever decrypted, by the trustees'
shares (§7).  :func:`keygen` and :func:`decrypt` with a whole secret key exist for tests
and vectors only: the server never holds the assembly's secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.secret import fastops
from ledger.secret.dlog import dlog
from ledger.secret.group import IDENTITY, G, L, Point, base, decode_point, mul
from ledger.secret.randomness import SYSTEM, ScalarSource


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """``(A, B)``; on the wire ``{"a": hex(A), "b": hex(B)}``."""

    a: Point
    b: Point

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(self.a + other.a, self.b + other.b)

    def scale(self, w: int) -> Ciphertext:
        """``w·(A, B)``: encrypts ``w·m`` (``w ≥ 0``; 0 gives the zero ciphertext)."""
        if w < 0:
            raise ValueError("weights are non-negative integers")
        return Ciphertext(mul(w, self.a), mul(w, self.b))

    def to_json(self) -> dict[str, str]:
        return {"a": self.a.hex(), "b": self.b.hex()}

    @staticmethod
    def from_json(obj: Any, where: str) -> Ciphertext:
        """A RECEIVED ciphertext: an object with exactly ``a`` and ``b``, each a valid point
        (§2.3: never the identity).  Raises ``GroupError`` or ``ValueError``."""
        if not isinstance(obj, Mapping) or set(obj) != {"a", "b"}:
            raise ValueError(f"{where}: a ciphertext is an object with exactly a and b")
        return Ciphertext(decode_point(obj["a"], f"{where}.a"),
                          decode_point(obj["b"], f"{where}.b"))


#: the encryption of 0 with randomness 0: the neutral element of :func:`total`
ZERO = Ciphertext(IDENTITY, IDENTITY)


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A whole ElGamal key: TESTS AND VECTORS ONLY (the assembly's key is the trustees')."""

    secret: int
    public: Point


def keygen(source: ScalarSource = SYSTEM) -> KeyPair:
    x = source()
    return KeyPair(x, base(x))


def encrypt(public: Point, m: int, r: int) -> Ciphertext:
    """``Enc(m; r)`` for ``m ≥ 0`` and randomness ``r ∈ [1, L)``."""
    if m < 0:
        raise ValueError("only non-negative integers are encrypted")
    if not 0 < r < L:
        raise ValueError("the randomness r must be in [1, L)")
    return Ciphertext(base(r), mul(r, public) + base(m))


def encrypt_random(public: Point, m: int, source: ScalarSource = SYSTEM) -> tuple[Ciphertext, int]:
    """``Enc(m; r)`` with a fresh ``r``; returns the ciphertext and ``r`` (for the proofs)."""
    r = source()
    return encrypt(public, m, r), r


def total(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum (raw encodings: one libsecp256k1 addition per component)."""
    a, b = fastops.ID, fastops.ID
    for ct in ciphertexts:
        a = fastops.add(a, ct.a.encoding)
        b = fastops.add(b, ct.b.encoding)
    return Ciphertext(Point(a), Point(b))


def weighted_total(terms: Iterable[tuple[int, Ciphertext]]) -> Ciphertext:
    """``Σ w·(A, B)``; weight-0 terms are skipped (§4).

    Terms are first added up per distinct weight (additions only), then each such sum is
    multiplied once by its weight: ``Σ_w w·(Σ_{terms of weight w} ct)``, the same point with
    one scalar multiplication per distinct weight instead of one per term (homes of a
    community share a few hundred areas; the head count is all weights 1).
    """
    buckets: dict[int, tuple[bytes, bytes]] = {}
    for w, ct in terms:
        if w < 0:
            raise ValueError("weights are non-negative integers")
        if w == 0:
            continue
        a, b = buckets.get(w, (fastops.ID, fastops.ID))
        buckets[w] = (fastops.add(a, ct.a.encoding), fastops.add(b, ct.b.encoding))
    a, b = fastops.ID, fastops.ID
    for w in sorted(buckets):
        sa, sb = buckets[w]
        a = fastops.add(a, fastops.mul(w, sa))
        b = fastops.add(b, fastops.mul(w, sb))
    return Ciphertext(Point(a), Point(b))


def decrypt_to_point(secret: int, ct: Ciphertext) -> Point:
    """``M = B − x·A = m·G`` (tests: the trustees compute ``x·A`` as Σ λ·D, §7)."""
    return ct.b - mul(secret, ct.a)


def decrypt(secret: int, ct: Ciphertext, bound: int) -> int:
    """``m`` with ``m·G = B − x·A`` in ``[0, bound]``; raises ``DlogNotFound`` (tests)."""
    return dlog(decrypt_to_point(secret, ct), bound)


def plaintext_point(m: int) -> Point:
    """``m·G`` (the identity for 0)."""
    return base(m) if m else IDENTITY


__all__ = ["ZERO", "Ciphertext", "G", "KeyPair", "decrypt", "decrypt_to_point", "encrypt",
           "encrypt_random", "keygen", "plaintext_point", "total", "weighted_total"]
