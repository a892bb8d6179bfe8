"""RFC 6962 / RFC 9162 Merkle trees: hashes, proofs and their verification.

Pure functions over the raw entries (``Sequence[bytes]``).  Indices are 0-based.
Hashes are SHA-256 with the RFC 6962 domain separation: a leaf is
``SHA-256(0x00 || data)``, an inner node ``SHA-256(0x01 || left || right)``,
and the empty tree ``SHA-256("")``.

This module is the public, scriptable API auditors rely on; the stored log
(``ledger.treemath`` + ``ledger.store.logstore``) computes the same values from stored
subtree hashes without re-reading entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.errors import ProofError

__all__ = [
    "HASH_SIZE",
    "ProofError",
    "consistency_proof",
    "empty_root",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def empty_root() -> bytes:
    return hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves."""
    n = len(leaves)
    if n == 0:
        return empty_root()
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def root(entries: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of ``entries``."""
    return _mth([leaf_hash(e) for e in entries])


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return _path(m, leaves[:k]) + [_mth(leaves[k:])]
    return _path(m - k, leaves[k:]) + [_mth(leaves[:k])]


def inclusion_proof(entries: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of entry ``index`` in the tree of all ``entries``."""
    if not 0 <= index < len(entries):
        raise ProofError(f"index {index} outside a tree of size {len(entries)}")
    return _path(index, [leaf_hash(e) for e in entries])


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [_mth(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [_mth(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [_mth(leaves[:k])]


def consistency_proof(entries: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the tree of the first ``old_size`` entries is a prefix of all ``entries``."""
    if not 0 <= old_size <= len(entries):
        raise ProofError(f"old size {old_size} outside 0..{len(entries)}")
    if old_size in (0, len(entries)):
        return []
    return _subproof(old_size, [leaf_hash(e) for e in entries], True)


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes")


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that ``proof`` implies for ``leaf`` at ``index``."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} outside a tree of size {size}")
    _check_hash("leaf hash", leaf)
    fn, sn = index, size - 1
    r = bytes(leaf)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
        if sn == 0:
            raise ProofError(f"inclusion proof too long ({len(proof)} hashes)")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof too short ({len(proof)} hashes)")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` puts ``leaf_hash`` at ``index`` under ``root``."""
    _check_hash("root", root)
    got = root_from_inclusion(leaf_hash, index, size, proof)
    if got != root:
        raise ProofError(f"inclusion proof for index {index} in size {size} gives another root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: raise :class:`ProofError` unless the old tree is a prefix of the new."""
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"sizes {old_size} -> {new_size} go backwards")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError(f"different roots for the same size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise ProofError("consistency from the empty tree needs an empty proof")
        if old_root != empty_root():
            raise ProofError("old root of size 0 is not the empty-tree hash")
        return
    if not proof:
        raise ProofError(f"empty consistency proof for sizes {old_size} -> {new_size}")
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof too long ({len(proof)} hashes)")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof too short ({len(proof)} hashes)")
    if fr != old_root:
        raise ProofError(f"consistency proof does not give the old root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not give the new root of size {new_size}")
