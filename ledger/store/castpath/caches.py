"""The casting path's process caches: bounded, of what never changes once written.

Each cache empties itself when full; :func:`reset` empties them all (for tests: a
running server never needs it, since nothing a cache holds can change — an entry, a
published assembly, an enrolled key, a signature once verified).
"""

from __future__ import annotations

import weakref
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine

from ledger.entries import Entry

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V], Generic[K, V]):
    """A process-wide dict that empties itself when full (read it as a dict: C speed)."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__()
        self.name, self.limit = name, limit

    def put(self, key: K, value: V) -> V:
        if len(self) >= self.limit and key not in self:
            self.clear()
        self[key] = value
        return value

    def __repr__(self) -> str:
        return f"<BoundedCache {self.name}: {len(self)} of {self.limit}>"


PARSED_ENTRIES: BoundedCache[tuple[int, int], tuple[bytes, Entry]] = BoundedCache(
    "parsed entries", 100_000)
PUBLISHED: BoundedCache[tuple[int, bytes], Any] = BoundedCache("published assemblies", 256)
DEVICE_KEYS: BoundedCache[str, Any] = BoundedCache("device keys", 200_000)
VERIFIED_SIGNATURES: BoundedCache[bytes, None] = BoundedCache("verified signatures", 100_000)
VISIBLE_LOGS: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()
BIND_PROCESSORS: BoundedCache[tuple[int, str], Any] = BoundedCache("bind processors", 1_000)
#: (assembly, entry 0's hash) -> a secret assembly's election key (the ceremony's entries
#: are written with entry 0: :mod:`ledger.store.trustees`)
ELECTION_KEYS: BoundedCache[tuple[int, bytes], Any] = BoundedCache("election keys", 256)
#: assembly -> the election key (and item layouts) last read for it: a hint for checking
#: a secret ballot's proofs before the lock (never trusted: see ledger.store.trustees)
ELECTION_HINTS: BoundedCache[int, Any] = BoundedCache("election key hints", 256)
#: digests of (election key, secret ballot payload) whose proofs verified
VERIFIED_PROOFS: BoundedCache[bytes, None] = BoundedCache("verified ballot proofs", 100_000)

CACHES: tuple[BoundedCache[Any, Any], ...] = (
    PARSED_ENTRIES, PUBLISHED, DEVICE_KEYS, VERIFIED_SIGNATURES, BIND_PROCESSORS,
    ELECTION_KEYS, ELECTION_HINTS, VERIFIED_PROOFS)


def cache_sizes() -> dict[str, int]:
    """How many entries each process cache holds now (by name)."""
    sizes = {cache.name: len(cache) for cache in CACHES}
    sizes["visible logs"] = sum(len(known) for known in list(VISIBLE_LOGS.values()))
    return sizes


def reset() -> None:
    """Empty every process cache of the casting path (tests; a server never needs it)."""
    for cache in CACHES:
        cache.clear()
    VISIBLE_LOGS.clear()
