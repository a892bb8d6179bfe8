"""``--previous``: an older bundle of the same log must be a prefix of the newer one.

The older bundle's own integrity is checked (manifest, checkpoints, its entries
hashing to its newest checkpoint); then an RFC 9162 consistency proof from its
size to the newer bundle's is built from subtree hashes collected while the
newer entries stream by, and verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger import merkle, treemath
from ledger.bundle import ENTRIES, BundleReader
from ledger.bundlechecks import check_checkpoints, check_keys, check_members, member_hash
from ledger.errors import BundleError, ProofError
from ledger.note import Verifier
from ledger.report import Report

CHUNK_LINES = 16_000


@dataclass
class OldLog:
    size: int
    root: bytes


def check_previous(path: Path | str, log: Verifier, origin: str, report: Report) -> OldLog | None:
    """Check the older bundle's own integrity (manifest, checkpoints, entries' root)."""
    fails = report.check("previous bundle")
    try:
        reader = BundleReader(path)
        old_log, witnesses = check_keys(reader, Report(str(path)), None)
        if old_log.vkey != log.vkey:
            fails.append("the previous bundle is signed by another log key")
            return None
        old_origin, manifest = reader.verify_manifest(log)
        if old_origin != origin:
            fails.append(f"the previous bundle is of another log ({old_origin})")
            return None
        sub = Report(str(path))
        check_members(reader, sub, manifest)
        cps = check_checkpoints(reader, sub, log, witnesses, origin)
        hasher = hashlib.sha256()
        tree = treemath.CompactRange()
        for lines in reader.line_chunks(ENTRIES, CHUNK_LINES, hasher):
            for line in lines:
                tree.append(merkle.leaf_hash(line))
        member_hash(sub, manifest, ENTRIES, hasher.hexdigest(), 0, reader)
        if cps and (cps[-1].checkpoint.size != tree.size or cps[-1].checkpoint.root != tree.root()):
            sub.check("merkle").append("its entries do not give its newest checkpoint")
    except BundleError as exc:
        raise BundleError(f"previous bundle {path}: {exc}") from None
    for name, f in sub.checks.items():
        fails.extend(f"{name}: {x}" for x in f)
    if not cps:
        return None
    report.info["previous"] = {"path": str(path), "size": tree.size}
    return OldLog(tree.size, tree.root())


def check_consistency(
    report: Report, old: OldLog, size: int, root: bytes, nodes: Mapping[treemath.Node, bytes]
) -> None:
    fails = report.check("previous bundle is a prefix (consistency proof)")
    if old.size > size:
        fails.append(f"the previous bundle has {old.size} entries, this one only {size}")
        return
    try:
        proof = treemath.hashes_for(
            treemath.consistency_ranges(old.size, size),
            lambda wanted: {n: nodes[n] for n in wanted if n in nodes},
        )
        merkle.verify_consistency(old.size, size, old.root, root, proof)
    except ProofError as exc:
        fails.append(f"log of size {old.size} is not a prefix of this one: {exc}")
