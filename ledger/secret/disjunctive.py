"""The disjunctive Chaum–Pedersen proof (docs/secret-ballots.md §5.1).

Statement: the ciphertext ``(A, B)`` under ``Hk`` encrypts a value in ``{lo, …, hi}``:
there is ``r`` with ``A = r·G`` and ``B − v·G = r·Hk`` for some ``v`` in the range.

Prover, knowing the true ``v*`` and ``r``: for every ``v ≠ v*`` draw ``c_v``, ``z_v`` and
set ``T_v = (z_v·G − c_v·A, z_v·Hk − c_v·(B − v·G))`` (a simulated branch); for ``v*`` draw
``w`` and set ``T_v* = (w·G, w·Hk)``;
``c = H("range", ctx…, Hk, A, B, lo, hi, T_lo.1, T_lo.2, …, T_hi.1, T_hi.2)``;
``c_v* = c − Σ_{v≠v*} c_v``, ``z_v* = w + c_v*·r`` (mod L).

Verifier: recompute every ``T_v`` from ``(c_v, z_v)``, accept iff ``Σ c_v ≡ H(…)``.  The
verifier works on raw encodings (:mod:`ledger.secret.fastops`): each ``T_v`` component is one
:func:`~ledger.secret.fastops.combination` — ``z_v·G − c_v·A`` and
``z_v·Hk − c_v·(B − v·G)``, where ``B − v·G`` is one addition of a tabled ``−v·G``
(:func:`~ledger.secret.fastops.small_multiple`: cheaper than a base multiplication).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.secret import fastops
from ledger.secret.context import Context, decimal
from ledger.secret.elgamal import Ciphertext
from ledger.secret.group import L, Point, base, decode_scalar, hash_to_scalar, mul, scalar_hex
from ledger.secret.randomness import SYSTEM, ScalarSource

TAG = "range"


@dataclass(frozen=True, slots=True)
class RangeProof:
    """``c_lo…c_hi`` and ``z_lo…z_hi``; on the wire ``{"c": [hex…], "z": [hex…]}``."""

    c: tuple[int, ...]
    z: tuple[int, ...]

    def to_json(self) -> dict[str, list[str]]:
        return {"c": [scalar_hex(x) for x in self.c], "z": [scalar_hex(x) for x in self.z]}

    @staticmethod
    def from_json(obj: Any, where: str, length: int) -> RangeProof:
        """A RECEIVED proof of ``length`` branches: exactly ``c`` and ``z``, lists of
        ``length`` scalars below L.  Raises ``ValueError`` (shape) or ``GroupError``."""
        if not isinstance(obj, Mapping) or set(obj) != {"c", "z"}:
            raise ValueError(f"{where}: a proof is an object with exactly c and z")
        lists = []
        for key in ("c", "z"):
            items = obj[key]
            if not isinstance(items, list) or len(items) != length:
                raise ValueError(f"{where}.{key}: a list of {length} scalars")
            lists.append(tuple(decode_scalar(x, f"{where}.{key}[{i}]")
                               for i, x in enumerate(items)))
        return RangeProof(lists[0], lists[1])


def challenge(ctx: Context, hk: bytes, ct: tuple[bytes, bytes], lo: int, hi: int,
              commitments: Sequence[bytes]) -> int:
    """``H("range", ctx…, Hk, A, B, lo, hi, T_lo.1, T_lo.2, …, T_hi.1, T_hi.2)``."""
    return hash_to_scalar(TAG, *ctx, hk, ct[0], ct[1], decimal(lo), decimal(hi), *commitments)


def prove_range(hk: Point, ct: Ciphertext, lo: int, hi: int, value: int, r: int,
                ctx: Context, source: ScalarSource = SYSTEM) -> RangeProof:
    """The proof that ``ct = Enc(value; r)`` under ``hk`` with ``lo ≤ value ≤ hi``."""
    if not 0 <= lo <= value <= hi:
        raise ValueError("the value is outside the range it is proved in")
    cs: dict[int, int] = {}
    zs: dict[int, int] = {}
    commitments: list[bytes] = []
    w = 0
    for v in range(lo, hi + 1):
        if v == value:
            w = source()
            t1, t2 = base(w), mul(w, hk)
        else:
            cs[v], zs[v] = source(), source()
            t1 = base(zs[v]) - mul(cs[v], ct.a)
            t2 = mul(zs[v], hk) - mul(cs[v], ct.b - base(v))
        commitments += [t1.encoding, t2.encoding]
    c = challenge(ctx, hk.encoding, (ct.a.encoding, ct.b.encoding), lo, hi, commitments)
    cs[value] = (c - sum(cs.values())) % L
    zs[value] = (w + cs[value] * r) % L
    return RangeProof(tuple(cs[v] for v in range(lo, hi + 1)),
                      tuple(zs[v] for v in range(lo, hi + 1)))


def verify_range(hk: Point, ct: Ciphertext, lo: int, hi: int, proof: RangeProof,
                 ctx: Context) -> bool:
    """§5.1's verifier.  ``ct``'s points must already be validated (§2.3)."""
    if len(proof.c) != hi - lo + 1 or len(proof.z) != hi - lo + 1:
        return False
    h, a, b = hk.encoding, ct.a.encoding, ct.b.encoding
    commitments: list[bytes] = []
    for v, c_v, z_v in zip(range(lo, hi + 1), proof.c, proof.z, strict=True):
        # T_v.1 = z_v·G − c_v·A;  T_v.2 = z_v·Hk − c_v·(B − v·G)
        b_v = fastops.sub(b, fastops.small_multiple(v)) if v else b
        commitments.append(fastops.combination(((-c_v, a),), z_v))
        commitments.append(fastops.combination(((z_v, h), (-c_v, b_v))))
    return sum(proof.c) % L == challenge(ctx, h, (a, b), lo, hi, commitments)
