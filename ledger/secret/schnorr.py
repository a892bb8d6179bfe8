"""Schnorr proof of knowledge of a discrete logarithm: ``C = a·G`` (docs/secret-ballots.md §5.3).

Prover: draw ``w``; ``T = w·G``; ``c = H("pok", ctx…, C, T)``; ``z = w + c·a mod L``.
Verifier: ``T = z·G − c·C``; accept iff ``c = H("pok", ctx…, C, T)``.

Each trustee proves it knows every coefficient it commits to, bound to the context
``origin, "coefficient", trustee index, coefficient index`` (§6), so a commitment cannot be
copied from another trustee or ceremony, and no trustee can choose its constant term as a
function of the others' (the rogue-key attack on a joint key).

:func:`context` turns context values into hash parts as §3 says: a string is its UTF-8, a
non-negative integer its ASCII decimal digits.  It is shared by :mod:`ledger.secret.dleq`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from ledger.secret.group import (
    L,
    Point,
    base,
    decode_scalar,
    hash_to_scalar,
    mul,
    random_scalar,
    scalar_hex,
)
from ledger.secret.trustee_errors import DocumentError, ProofFailed

Context = tuple[bytes, ...]


def context(*values: str | int) -> Context:
    """Hash parts of a proof's context (§3): strings as UTF-8, integers as decimal ASCII."""
    parts: list[bytes] = []
    for value in values:
        if isinstance(value, bool):
            raise TypeError("a context value is a string or a non-negative integer")
        if isinstance(value, int):
            if value < 0:
                raise ValueError("context integers are non-negative")
            parts.append(str(value).encode("ascii"))
        else:
            parts.append(value.encode("utf-8"))
    return tuple(parts)


def coefficient_context(origin: str, trustee: int, coefficient: int) -> Context:
    """§6: the context of trustee ``trustee``'s proof for its coefficient ``coefficient``."""
    return context(origin, "coefficient", trustee, coefficient)


@dataclass(frozen=True, slots=True)
class ChallengeResponse:
    """A Σ-protocol's challenge and response ``(c, z)``, scalars mod L; JSON ``{"c", "z"}``
    (hex, §2.2).  The Schnorr proof here and the DLEQ proof of :mod:`ledger.secret.dleq`
    are both this pair, each its own type so that one is never taken for the other."""

    c: int
    z: int

    def to_json(self) -> dict[str, str]:
        return {"c": scalar_hex(self.c), "z": scalar_hex(self.z)}

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Self:
        if not isinstance(obj, Mapping) or set(obj) != {"c", "z"}:
            raise DocumentError(where, 'expected {"c": …, "z": …}')
        return cls(decode_scalar(obj["c"], f"{where}.c"), decode_scalar(obj["z"], f"{where}.z"))


class SchnorrProof(ChallengeResponse):
    __slots__ = ()


def _challenge(ctx: Sequence[bytes], commitment: Point, t: Point) -> int:
    return hash_to_scalar("pok", *ctx, commitment.encoding, t.encoding)


def prove(secret: int, commitment: Point, ctx: Sequence[bytes],
          *, nonce: int | None = None) -> SchnorrProof:
    """Prove knowledge of ``secret`` with ``commitment = secret·G``.

    ``nonce`` is for test vectors only; a real proof draws it from the CSPRNG.
    """
    w = random_scalar() if nonce is None else nonce
    c = _challenge(ctx, commitment, base(w))
    return SchnorrProof(c, (w + c * secret) % L)


def verify(commitment: Point, proof: SchnorrProof, ctx: Sequence[bytes]) -> bool:
    t = base(proof.z) - mul(proof.c, commitment)
    return _challenge(ctx, commitment, t) == proof.c


def check(commitment: Point, proof: SchnorrProof, ctx: Sequence[bytes], where: str) -> None:
    """:func:`verify`, raising :class:`ProofFailed` naming ``where``."""
    if not verify(commitment, proof, ctx):
        raise ProofFailed(where, "the proof of knowledge (§5.3) does not verify")

