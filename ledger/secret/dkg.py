"""Joint-Feldman threshold key generation, all arithmetic mod L (docs/secret-ballots.md §7).

``n ≥ 2`` trustees numbered ``1…n``; threshold ``k`` (``1 ≤ k ≤ n``, default ``⌊n/2⌋+1``).

* Dealer ``i`` draws ``f_i(x) = a_{i,0} + a_{i,1}·x + … + a_{i,k−1}·x^{k−1}`` and publishes
  ``C_{i,j} = a_{i,j}·G``; recipient ``l`` gets ``f_i(l)`` (encrypted: :mod:`transport`).
* ``l`` checks ``f_i(l)·G = Σ_j l^j·C_{i,j}`` (:func:`verify_share`), else complains.
* A complaint against ``i`` is *answered* when ``i`` reveals ``f_i(l)`` and it verifies; a
  dealer with an unanswered or wrongly answered complaint is disqualified
  (:func:`qualified_set`).
* Over the qualified set ``Q``: the joint key ``Hk = Σ_{i∈Q} C_{i,0}``
  (:func:`joint_public_key`), ``l``'s secret share ``s_l = Σ_{i∈Q} f_i(l)``
  (:func:`secret_share`) and its public verification key ``Y_l = s_l·G``, computable by
  anyone as ``Σ_{i∈Q} Σ_j l^j·C_{i,j}`` (:func:`verification_key`).
* Any ``k`` shares of a set ``S`` recombine at 0 with :func:`lagrange_at_zero`.

This module is pure arithmetic over ints and :class:`Point`; the documents that carry these
values, their signatures and the ceremony's bookkeeping are in :mod:`trustee_docs`,
:mod:`trustee_sig` and :mod:`ceremony`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ledger.secret.group import IDENTITY, L, Point, base, mul, random_scalar
from ledger.secret.trustee_errors import ParameterError

#: the largest ceremony the documents allow (a committee and its supervisor, with room)
MAX_TRUSTEES = 64


def default_threshold(n: int) -> int:
    """A majority of ``n``: ``⌊n/2⌋ + 1``."""
    return n // 2 + 1


def check_parameters(n: int, k: int) -> None:
    """``2 ≤ n ≤ MAX_TRUSTEES`` and ``1 ≤ k ≤ n``; raises :class:`ParameterError`."""
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_TRUSTEES:
        raise ParameterError("trustees", f"n must be an integer from 2 to {MAX_TRUSTEES}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ParameterError("threshold", f"k must be an integer from 1 to n = {n}")


def check_index(index: int, n: int, where: str = "trustee") -> None:
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= n:
        raise ParameterError(where, f"a trustee index is an integer from 1 to n = {n}")


@dataclass(frozen=True, slots=True)
class Polynomial:
    """A dealer's secret polynomial: ``coefficients[j] = a_j``, degree ``k − 1``."""

    coefficients: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.coefficients:
            raise ValueError("a polynomial has at least one coefficient")
        if any(not 0 <= a < L for a in self.coefficients):
            raise ValueError("coefficients are scalars in [0, L)")

    @property
    def threshold(self) -> int:
        return len(self.coefficients)

    def __call__(self, x: int) -> int:
        """``f(x) mod L`` (Horner)."""
        value = 0
        for a in reversed(self.coefficients):
            value = (value * x + a) % L
        return value

    def commitments(self) -> tuple[Point, ...]:
        """``C_j = a_j·G`` for every coefficient."""
        return tuple(base(a) for a in self.coefficients)

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Polynomial(<{len(self.coefficients)} secret coefficients>)"


def random_polynomial(k: int) -> Polynomial:
    """Coefficients drawn uniformly from ``[1, L)`` (so no commitment is the identity)."""
    if k < 1:
        raise ParameterError("threshold", "k must be at least 1")
    return Polynomial(tuple(random_scalar() for _ in range(k)))


def expected_share_point(commitments: Sequence[Point], index: int) -> Point:
    """``Σ_j index^j·C_j``: what ``f(index)·G`` must be."""
    total = IDENTITY
    power = 1
    for c in commitments:
        total = total + mul(power, c)
        power = power * index % L
    return total


def verify_share(share: int, commitments: Sequence[Point], index: int) -> bool:
    """Does ``share`` (a received ``f_i(index)``) match the dealer's commitments?"""
    return 0 <= share < L and base(share) == expected_share_point(commitments, index)


def qualified_set(dealers: Iterable[int], complaints: Mapping[int, Collection[int]],
                  answered: Mapping[int, Collection[int]]) -> frozenset[int]:
    """The dealers that stay: every complaint against them was answered with a valid share.

    ``dealers``: who published commitments and shares; ``complaints[i]``: the trustees who
    complained against ``i``; ``answered[i]``: the complainants to whom ``i`` revealed a
    share that verifies against its commitments (checked by the caller with
    :func:`verify_share`).
    """
    return frozenset(
        i for i in dealers
        if set(complaints.get(i, ())) <= set(answered.get(i, ()))
    )


def joint_public_key(commitments: Mapping[int, Sequence[Point]],
                     qualified: Collection[int]) -> Point:
    """``Hk = Σ_{i∈Q} C_{i,0}``."""
    if not qualified:
        raise ParameterError("qualified", "no qualified dealer: there is no key")
    total = IDENTITY
    for i in sorted(qualified):
        total = total + commitments[i][0]
    return total


def verification_key(commitments: Mapping[int, Sequence[Point]], qualified: Collection[int],
                     index: int) -> Point:
    """``Y_l = Σ_{i∈Q} Σ_j l^j·C_{i,j}``: trustee ``index``'s public share."""
    total = IDENTITY
    for i in sorted(qualified):
        total = total + expected_share_point(commitments[i], index)
    return total


def secret_share(received: Mapping[int, int], qualified: Collection[int]) -> int:
    """``s_l = Σ_{i∈Q} f_i(l) mod L`` from the shares ``received[i]`` of every qualified dealer."""
    missing = sorted(set(qualified) - set(received))
    if missing:
        raise ParameterError("shares", f"no share from qualified dealer(s) {missing}")
    return sum(received[i] for i in qualified) % L


def lagrange_at_zero(indices: Collection[int], index: int) -> int:
    """``λ_index = Π_{j∈S, j≠index} j/(j − index) mod L`` for the set ``S = indices``."""
    group = set(indices)
    if index not in group:
        raise ParameterError("trustee", f"{index} is not in the set {sorted(group)}")
    if any(j <= 0 or j >= L for j in group):
        raise ParameterError("trustee", "indices are positive and below L")
    num, den = 1, 1
    for j in group:
        if j != index:
            num = num * j % L
            den = den * (j - index) % L
    return num * pow(den, -1, L) % L


def interpolate_at_zero(shares: Mapping[int, int]) -> int:
    """``Σ λ_l·s_l mod L`` over the given shares (tests and vectors: the scalar secret)."""
    return sum(lagrange_at_zero(shares, i) * s for i, s in shares.items()) % L
