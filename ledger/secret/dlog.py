"""Discrete logarithms of totals by baby-step giant-step (docs/secret-ballots.md §4).

Given ``M = m·G`` with ``0 ≤ m ≤ bound``, find ``m``: with ``s = ⌈√(bound + 1)⌉``, a table
of the encodings of ``j·G`` for ``0 ≤ j < s`` (baby steps) and at most ``⌈(bound+1)/s⌉``
giant steps ``M − i·s·G``.  Every step is one libsecp256k1 point addition
(:func:`ledger.secret.fastops.progression`).
The table depends only on ``s``; it is kept (:func:`baby_steps`, the last three tables) so
a tally's many totals pay for it once; :func:`dlog_many` takes a larger table for several
totals of one bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from math import isqrt

from ledger.secret import fastops
from ledger.secret.errors import DlogNotFound
from ledger.secret.group import Point


def table_size(bound: int) -> int:
    """``⌈√(bound + 1)⌉``."""
    n = bound + 1
    s = isqrt(n)
    return s if s * s == n else s + 1


@lru_cache(maxsize=3)
def baby_steps(size: int) -> dict[bytes, int]:
    """``{encoding(j·G): j}`` for ``0 ≤ j < size``."""
    return {p: j for j, p in enumerate(fastops.progression(fastops.ID, fastops.GB, size))}


def dlog(point: Point, bound: int, size: int | None = None) -> int:
    """The ``m ∈ [0, bound]`` with ``m·G = point``; raises :class:`DlogNotFound`.

    ``size``: the number of baby steps (default ``⌈√(bound + 1)⌉``; see :func:`dlog_many`).
    """
    if bound < 0:
        raise ValueError("the bound is a non-negative integer")
    s = size if size is not None else table_size(bound)
    if s < 1:
        raise ValueError("the table has at least one entry")
    table = baby_steps(s)
    minus_stride = fastops.base(-s)
    for i, p in enumerate(fastops.progression(point.encoding, minus_stride,
                                              (bound + 1 + s - 1) // s)):
        j = table.get(p)
        if j is not None:
            m = i * s + j
            if m <= bound:
                return m
            break
    raise DlogNotFound(bound)


#: the largest table :func:`dlog_many` builds (2^17 points, about 20 MB)
MAX_TABLE = 2**17


def dlog_many(points: Sequence[Point], bound: int) -> list[int]:
    """The discrete logarithms of several totals with the same bound (a tally's options).

    With ``n`` points a table of ``t = ⌈√(n·(bound + 1))⌉`` baby steps (at most
    :data:`MAX_TABLE`) minimises the work: ``t`` additions once, at most
    ``⌈(bound + 1)/t⌉`` per point.  Raises :class:`DlogNotFound` for the first point that
    has none (its index in ``DlogNotFound.index``).
    """
    if not points:
        return []
    size = max(table_size(bound), min(MAX_TABLE, table_size(len(points) * (bound + 1) - 1)))
    size = min(size, bound + 1)
    out = []
    for index, point in enumerate(points):
        try:
            out.append(dlog(point, bound, size))
        except DlogNotFound as exc:
            exc.index = index
            raise
    return out
