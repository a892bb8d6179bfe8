"""Chaum–Pedersen proof that a decryption share is honest (docs/secret-ballots.md §5.2).

Statement: ``Y = s·G`` and ``D = s·A`` for the same ``s`` (trustee ``l``'s share; ``Y`` its
public verification key, ``A`` the first component of a total's ciphertext, ``D`` the
decryption share).

Prover: draw ``w``; ``T1 = w·G``, ``T2 = w·A``; ``c = H("share", ctx…, Y, A, D, T1, T2)``;
``z = w + c·s mod L``.  Verifier: ``T1 = z·G − c·Y``, ``T2 = z·A − c·D``; accept iff
``c = H("share", ctx…, Y, A, D, T1, T2)``.

The context (§6) is ``origin, item key, option index, "area" | "heads", trustee index``:
a share made for one total, trustee or assembly does not verify for another.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.secret.group import (
    L,
    Point,
    base,
    hash_to_scalar,
    mul,
    random_scalar,
)
from ledger.secret.schnorr import ChallengeResponse, Context, context
from ledger.secret.trustee_errors import ProofFailed

KINDS = ("area", "heads")


def share_context(origin: str, item: str, option: int, kind: str, trustee: int) -> Context:
    """§6: the context of trustee ``trustee``'s share of one total (``kind``: area|heads)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return context(origin, item, option, kind, trustee)


class DleqProof(ChallengeResponse):
    __slots__ = ()


def _challenge(ctx: Sequence[bytes], y: Point, a: Point, d: Point, t1: Point, t2: Point) -> int:
    return hash_to_scalar("share", *ctx, y.encoding, a.encoding, d.encoding,
                          t1.encoding, t2.encoding)


def decryption_share(share: int, a: Point, ctx: Sequence[bytes],
                     *, nonce: int | None = None) -> tuple[Point, DleqProof]:
    """``D = s·A`` and its proof against ``Y = s·G`` (``nonce``: for test vectors only)."""
    w = random_scalar() if nonce is None else nonce
    y, d = base(share), mul(share, a)
    c = _challenge(ctx, y, a, d, base(w), mul(w, a))
    return d, DleqProof(c, (w + c * share) % L)


def verify(y: Point, a: Point, d: Point, proof: DleqProof, ctx: Sequence[bytes]) -> bool:
    t1 = base(proof.z) - mul(proof.c, y)
    t2 = mul(proof.z, a) - mul(proof.c, d)
    return _challenge(ctx, y, a, d, t1, t2) == proof.c


def check(y: Point, a: Point, d: Point, proof: DleqProof, ctx: Sequence[bytes],
          where: str) -> None:
    """:func:`verify`, raising :class:`ProofFailed` naming ``where``."""
    if not verify(y, a, d, proof, ctx):
        raise ProofFailed(where, "the decryption share's proof (§5.2) does not verify")
