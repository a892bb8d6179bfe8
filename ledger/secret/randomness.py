"""Where provers' randomness comes from.

Every prover takes a :data:`ScalarSource`, a callable returning a uniformly random scalar in
``[1, L)``.  In production it is :func:`ledger.secret.group.random_scalar` (the OS CSPRNG,
64 bytes reduced mod L, §2.4).  :class:`SeededScalars` exists for the test vectors only
(``scripts/secret_vectors.py``): the same seed gives the same scalars, so the vectors can be
regenerated and compared byte for byte.  It must never encrypt a real ballot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ledger.secret.group import L, random_scalar

ScalarSource = Callable[[], int]

SYSTEM: ScalarSource = random_scalar


class SeededScalars:
    """Deterministic scalars for test vectors: ``SHA-512(label ‖ 0x00 ‖ counter_be64) mod L``
    with a counter from 0, skipping 0 (never for real ballots)."""

    def __init__(self, label: str) -> None:
        self._label = label.encode("utf-8")
        self._counter = 0

    def __call__(self) -> int:
        while True:
            digest = hashlib.sha512(
                self._label + b"\x00" + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            k = int.from_bytes(digest, "little") % L
            if k:
                return k
