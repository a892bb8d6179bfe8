"""Pure arithmetic of the stored tree: which complete subtrees exist, and which
of them make a root or a proof.

The stored log keeps the hash of every complete subtree ("node") ``(level,
index)`` covering leaves ``[index * 2**level, (index + 1) * 2**level)``.  Every
root and every RFC 6962 proof hash is the hash of a leaf range whose split
into maximal aligned complete subtrees is at most ``log2(n)`` nodes, folded
right to left with ``node_hash``.  Nothing here touches a database: callers
pass ``get(nodes) -> {node: hash}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ledger.errors import ProofError
from ledger.merkle import empty_root, node_hash

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end) of leaves
Getter = Callable[[Iterable[Node]], Mapping[Node, bytes]]


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """Maximal aligned complete subtrees covering ``[start, end)``, left to right."""
    nodes: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def peaks(size: int) -> list[Node]:
    """The complete subtrees whose fold is the root of a tree of ``size`` leaves."""
    return range_nodes(0, size)


def fold(hashes: list[bytes]) -> bytes:
    """Right-to-left fold: the MTH of a range from its nodes' hashes (left to right)."""
    if not hashes:
        return empty_root()
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def completed_by_append(size: int) -> list[tuple[Node, Node, Node]]:
    """Nodes completed when leaf ``size`` is appended: ``(node, left child, right child)``.

    Level-0 node ``(0, size)`` is the leaf itself and is not listed.  The left
    children are all peaks of the old tree, so an append reads only those.
    """
    out = []
    new = size + 1
    level = 1
    while new % (1 << level) == 0:
        index = (new >> level) - 1
        out.append(((level, index), (level - 1, 2 * index), (level - 1, 2 * index + 1)))
        level += 1
    return out


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes form the RFC 9162 inclusion proof, in proof order."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} outside a tree of size {size}")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def consistency_ranges(old_size: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes form the RFC 9162 consistency proof, in proof order."""
    if not 0 <= old_size <= size:
        raise ProofError(f"old size {old_size} outside 0..{size}")
    if old_size in (0, size):
        return []
    out: list[Range] = []
    lo, hi, m, complete = 0, size, old_size, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                out.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    out.reverse()
    return out


def hashes_for(ranges: list[Range], get: Getter) -> list[bytes]:
    """Resolve ranges to hashes with one call to ``get`` for all nodes needed."""
    wanted = {node for r in ranges for node in range_nodes(*r)}
    found = get(wanted)
    missing = wanted - set(found)
    if missing:
        raise ProofError(f"stored tree lacks nodes {sorted(missing)[:5]}")
    return [fold([found[node] for node in range_nodes(*r)]) for r in ranges]


def root(size: int, get: Getter) -> bytes:
    return hashes_for([(0, size)], get)[0] if size else empty_root()


class CompactRange:
    """Streaming root computation over leaf hashes in O(log n) memory.

    ``on_node`` (optional) is called with ``(level, index, hash)`` for every
    complete subtree as it is formed, so a verifier can pick the nodes a
    consistency proof needs while streaming.
    """

    __slots__ = ("size", "_stack", "_on_node")

    def __init__(self, on_node: Callable[[int, int, bytes], None] | None = None) -> None:
        self.size = 0
        self._stack: list[bytes] = []
        self._on_node = on_node

    def append(self, leaf: bytes) -> None:
        stack = self._stack
        h = leaf
        n = self.size
        cb = self._on_node
        if cb is not None:
            cb(0, n, h)
        level = 0
        while n & 1:
            h = node_hash(stack.pop(), h)
            n >>= 1
            level += 1
            if cb is not None:
                cb(level, n, h)
        stack.append(h)
        self.size += 1

    def root(self) -> bytes:
        return fold(self._stack)
