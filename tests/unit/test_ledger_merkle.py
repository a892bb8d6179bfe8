"""ledger.merkle and ledger.treemath against RFC 6962 reference vectors, an independent
naive implementation, and hypothesis properties (every proof verifies; any change fails)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle, treemath
from ledger.merkle import ProofError

# RFC 6962 test vectors as published by transparency-dev/merkle (testonly/constants.go and
# proof/verify_test.go); the inclusion vectors there use 1-based leaf numbers.
LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
H = bytes.fromhex
INCLUSION = [  # (0-based index, size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


# -- an independent naive reference: hash every level of a padded-free RFC 6962 tree -------


def _sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def naive_root(entries: list[bytes]) -> bytes:
    """MTH by the RFC's literal recursion on the split point, written independently."""
    if not entries:
        return _sha(b"")
    if len(entries) == 1:
        return _sha(b"\x00" + entries[0])
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return _sha(b"\x01" + naive_root(entries[:k]) + naive_root(entries[k:]))


def naive_verify_inclusion(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> bool:
    """Rebuild the root by walking the RFC 6962 tree shape top-down, consuming the proof."""

    def walk(lo: int, hi: int, path: list[bytes]) -> bytes | None:
        if hi - lo == 1:
            return leaf if not path else None
        if not path:
            return None
        k = 1
        while k * 2 < hi - lo:
            k *= 2
        sibling, rest = path[-1], path[:-1]
        if index < lo + k:
            left = walk(lo, lo + k, rest)
            return None if left is None else _sha(b"\x01" + left + sibling)
        right = walk(lo + k, hi, rest)
        return None if right is None else _sha(b"\x01" + sibling + right)

    if not 0 <= index < size:
        return False
    return walk(0, size, list(proof)) == root


def test_reference_roots() -> None:
    for n in range(9):
        assert merkle.root(LEAVES[:n]) == ROOTS[n] == naive_root(LEAVES[:n])
    assert merkle.empty_root() == ROOTS[0]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_reference_inclusion(index: int, size: int, proof: list[str]) -> None:
    expected = [H(p) for p in proof]
    assert merkle.inclusion_proof(LEAVES[:size], index) == expected
    leaf = merkle.leaf_hash(LEAVES[index])
    merkle.verify_inclusion(leaf, index, size, expected, ROOTS[size])
    assert naive_verify_inclusion(leaf, index, size, expected, ROOTS[size])
    for bad in _corrupt_inclusion(index, size, expected, ROOTS[size], leaf):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*bad)


def _corrupt_inclusion(index, size, proof, root, leaf):
    some = H("abacaba000000000000000000000000000000000000000000060061e00123456")
    yield leaf, index - 1, size, proof, root
    yield leaf, index + 1, size, proof, root
    yield leaf, index ^ 2, size, proof, root
    yield leaf, index, size * 2, proof, root
    yield leaf, index, size // 2, proof, root
    yield some, index, size, proof, root
    yield leaf, index, size, proof, ROOTS[0]
    yield leaf, index, size, proof, some
    yield leaf, index, size, [*proof, b""], root
    yield leaf, index, size, [*proof, root], root
    yield leaf, index, size, [root, *proof], root
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        yield leaf, index, size, wrong, root
    if proof:
        yield leaf, index, size, proof[:-1], root
    if len(proof) > 1:
        yield leaf, index, size, [proof[0], some, *proof[1:]], root


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_reference_consistency(old: int, new: int, proof: list[str]) -> None:
    expected = [H(p) for p in proof]
    assert merkle.consistency_proof(LEAVES[:new], old) == expected
    merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)
    if not expected:
        return
    some = H("abacaba000000000000000000000000000000000000000000060061e00123456")
    bad = [
        (old - 1, new, ROOTS[old], ROOTS[new], expected),
        (old + 1, new, ROOTS[old], ROOTS[new], expected),
        (old ^ 2, new, ROOTS[old], ROOTS[new], expected),
        (old, new * 2, ROOTS[old], ROOTS[new], expected),
        (old, new // 2, ROOTS[old], ROOTS[new], expected),
        (old, new, some, ROOTS[new], expected),
        (old, new, ROOTS[old], some, expected),
        (old, new, ROOTS[new], ROOTS[old], expected),
        (old, new, ROOTS[old], ROOTS[new], []),
        (old, new, ROOTS[old], ROOTS[new], [*expected, ROOTS[old]]),
        (old, new, ROOTS[old], ROOTS[new], [ROOTS[new], *expected]),
        (old, new, ROOTS[old], ROOTS[new], [expected[0], *expected]),
        (old, new, ROOTS[old], ROOTS[new], expected[:-1]),
    ]
    for i in range(len(expected)):
        wrong = list(expected)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        bad.append((old, new, ROOTS[old], ROOTS[new], wrong))
    for args in bad:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)


def test_edge_sizes() -> None:
    r1 = merkle.root([b"x"])
    merkle.verify_consistency(0, 0, ROOTS[0], ROOTS[0], [])
    merkle.verify_consistency(0, 1, ROOTS[0], r1, [])
    merkle.verify_consistency(1, 1, r1, r1, [])
    for args in [
        (1, 0, r1, ROOTS[0], []),
        (1, 1, r1, ROOTS[0], []),
        (0, 1, r1, r1, []),
        (1, 1, r1, r1, [ROOTS[0]]),
        (0, 0, ROOTS[0], ROOTS[0], [r1]),
    ]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    for index, size in [(0, 0), (1, 1), (2, 1), (-1, 3)]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(r1, index, size, [], r1)
    with pytest.raises(ProofError):
        merkle.inclusion_proof([b"a"], 1)
    with pytest.raises(ProofError):
        merkle.consistency_proof([b"a"], 2)


entry_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True)


@settings(max_examples=150, deadline=None)
@given(entry_lists, st.data())
def test_every_inclusion_proof_verifies_and_any_change_fails(entries, data) -> None:
    size = len(entries)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(entries, index)
    root = merkle.root(entries)
    leaf = merkle.leaf_hash(entries[index])
    assert root == naive_root(entries)
    merkle.verify_inclusion(leaf, index, size, proof, root)
    assert naive_verify_inclusion(leaf, index, size, proof, root)
    # flip one bit anywhere in proof, root or leaf
    blob = b"".join(proof) + root + leaf
    bit = data.draw(st.integers(0, len(blob) * 8 - 1))
    flipped = bytearray(blob)
    flipped[bit // 8] ^= 1 << (bit % 8)
    parts = [bytes(flipped[i : i + 32]) for i in range(0, len(flipped), 32)]
    with pytest.raises(ProofError):
        merkle.verify_inclusion(parts[-1], index, size, parts[:-2], parts[-2])
    # a wrong index (entries are distinct, so no two subtrees hash alike), or a size of
    # another height (RFC 9162 verification binds the path shape, not the exact size)
    other_index = data.draw(st.integers(0, size).filter(lambda i: i != index))
    with pytest.raises(ProofError):
        merkle.verify_inclusion(leaf, other_index, size, proof, root)
    for other_size in (size * 2, size // 2):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, index, other_size, proof, root)


@settings(max_examples=150, deadline=None)
@given(entry_lists, st.data())
def test_every_consistency_proof_verifies_and_any_change_fails(entries, data) -> None:
    new = len(entries)
    old = data.draw(st.integers(0, new))
    proof = merkle.consistency_proof(entries, old)
    old_root, new_root = merkle.root(entries[:old]), merkle.root(entries)
    merkle.verify_consistency(old, new, old_root, new_root, proof)
    blob = b"".join(proof) + old_root + new_root
    # (the empty tree is a prefix of every tree: then only the old root is checked)
    bit = data.draw(st.integers(0, (len(blob) - (32 if old == 0 else 0)) * 8 - 1))
    flipped = bytearray(blob)
    flipped[bit // 8] ^= 1 << (bit % 8)
    parts = [bytes(flipped[i : i + 32]) for i in range(0, len(flipped), 32)]
    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, parts[-2], parts[-1], parts[:-2])
    if 0 < old < new:
        for o, n in [
            (old - 1, new),
            (old + 1, new),
            (old ^ 2, new),
            (old, new * 2),
            (old, new // 2),
        ]:
            if (o, n) != (old, new):
                with pytest.raises(ProofError):
                    merkle.verify_consistency(o, n, old_root, new_root, proof)


# -- the stored tree's pure part ------------------------------------------------------------


class NodeStore:
    """What the database keeps: every complete subtree, filled as the stored log appends."""

    def __init__(self) -> None:
        self.nodes: dict[treemath.Node, bytes] = {}
        self.size = 0
        self.reads = 0

    def get(self, wanted):
        wanted = list(wanted)
        self.reads += len(wanted)
        return {n: self.nodes[n] for n in wanted if n in self.nodes}

    def append(self, entry: bytes) -> None:
        index = self.size
        found = self.get(treemath.peaks(index))
        new = {(0, index): merkle.leaf_hash(entry)}
        for node, left, right in treemath.completed_by_append(index):
            new[node] = merkle.node_hash(found[left], new[right])
        self.nodes.update(new)
        self.size += 1


@settings(max_examples=60, deadline=None)
@given(entry_lists, st.data())
def test_stored_tree_proofs_equal_merkle_with_log_reads(entries, data) -> None:
    s = NodeStore()
    for e in entries:
        before = s.reads
        s.append(e)
        assert s.reads - before <= max(1, s.size.bit_length())
    n = len(entries)
    assert len(s.nodes) == 2 * n - bin(n).count("1")
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert treemath.root(size, s.get) == merkle.root(entries[:size])
    before = s.reads
    assert treemath.hashes_for(treemath.inclusion_ranges(index, size), s.get) == (
        merkle.inclusion_proof(entries[:size], index)
    )
    assert treemath.hashes_for(treemath.consistency_ranges(old, size), s.get) == (
        merkle.consistency_proof(entries[:size], old)
    )
    assert s.reads - before <= 4 * max(1, size.bit_length())  # O(log n) node reads


@settings(max_examples=60, deadline=None)
@given(entry_lists)
def test_compact_range_streams_roots_and_nodes(entries) -> None:
    seen: dict = {}
    cr = treemath.CompactRange(lambda lv, ix, h: seen.__setitem__((lv, ix), h))
    for i, e in enumerate(entries):
        cr.append(merkle.leaf_hash(e))
        assert cr.root() == merkle.root(entries[: i + 1])
    s = NodeStore()
    for e in entries:
        s.append(e)
    assert seen == s.nodes


def test_missing_node_is_an_error() -> None:
    with pytest.raises(ProofError, match="lacks nodes"):
        treemath.hashes_for([(0, 4)], lambda wanted: {})
