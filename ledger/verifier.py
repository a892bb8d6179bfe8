"""Offline verification of an audit bundle (no database, no web).

``verify_bundle(path, previous=None, log_key=None, workers=None) -> Report``
runs every check of docs/audit-bundle.md in order and names each failure.
Entries are streamed twice: a cheap first pass collects the voided entries and
the enrolled keys' bytes; the second pass hands chunks of entries to worker
processes (:mod:`ledger.sigcheck`, one per core) and replays their results in
order (:mod:`ledger.replay`) while folding the Merkle tree in O(log n) memory.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger import canonical, merkle, sigcheck, treemath
from ledger.bundle import (
    ASSEMBLY,
    CHECKPOINTS,
    ENTRIES,
    KEYS,
    MANIFEST,
    RESULT,
    ROSTER,
    BundleReader,
    ManifestLine,
)
from ledger.entries import KEY_ENROLLED, OFFICIAL_ENROLLED, VOIDED
from ledger.errors import BundleError, LedgerError, ProofError
from ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    Verifier,
    parse_note,
    verify_cosignature,
    verify_note_signature,
)
from ledger.replay import Replayer

CHUNK = 2000


class Failures(list):
    """A check's failure messages, capped so a hostile bundle cannot exhaust memory."""

    LIMIT = 200

    def __init__(self) -> None:
        super().__init__()
        self.more = 0

    def append(self, message: str) -> None:  # type: ignore[override]
        if len(self) < self.LIMIT:
            super().append(message)
        else:
            self.more += 1
            if self.more == 1:
                super().append("... and more failures of this check")

    def extend(self, messages) -> None:  # type: ignore[override]
        for m in messages:
            self.append(m)


@dataclass
class Report:
    path: str
    checks: dict[str, list[str]] = field(default_factory=dict)  # check name -> failures
    info: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str) -> list[str]:
        return self.checks.setdefault(name, Failures())

    @property
    def valid(self) -> bool:
        return not any(self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.path,
            "valid": self.valid,
            "checks": [{"name": n, "ok": not f, "failures": f} for n, f in self.checks.items()],
            **self.info,
        }


@dataclass
class CheckpointInfo:
    checkpoint: Checkpoint
    cosigners: list[str]


def _keys(reader: BundleReader, report: Report, pinned: str | None) -> tuple[Verifier, dict]:
    try:
        doc = canonical.decode(reader.read(KEYS, 1 << 20))
        if not isinstance(doc, dict) or set(doc) != {"log", "witnesses"}:
            raise LedgerError('keys.json must be {"log": vkey, "witnesses": [...]}')
        log = Verifier.parse(doc["log"])
        witnesses = {}
        for vk in doc["witnesses"]:
            w = Verifier.parse(vk)
            if w.alg != ALG_COSIGNATURE_V1 or w.name in witnesses:
                raise LedgerError(f"witness key {w.name} is not a unique cosignature/v1 key")
            witnesses[w.name] = w
    except LedgerError as exc:
        raise BundleError(str(exc), KEYS) from None
    if log.alg != ALG_ED25519:
        raise BundleError("the log key must be an Ed25519 note key", KEYS)
    if pinned is not None and log.vkey != pinned:
        report.check("log key").append(f"the bundle's log key {log.vkey} is not the expected one")
    report.check("log key")
    report.info["log_key"] = log.vkey
    report.info["log_key_pinned"] = pinned is not None
    return log, witnesses


def _checkpoints(
    reader: BundleReader, report: Report, log: Verifier, witnesses: dict, origin: str
) -> list[CheckpointInfo]:
    fails = report.check("checkpoints")
    out: list[CheckpointInfo] = []
    lines = reader.read(CHECKPOINTS).split(b"\n")
    if lines[-1] != b"":
        fails.append("checkpoints.jsonl does not end with a newline")
    for n, line in enumerate(lines[:-1]):
        try:
            obj = canonical.decode(line)
            if not isinstance(obj, dict) or set(obj) != {"note"}:
                raise LedgerError('a line must be {"note": "..."}')
            note = parse_note(obj["note"])
            verify_note_signature(note, log)
            cp = Checkpoint.parse(note.text)
        except LedgerError as exc:
            fails.append(f"checkpoint line {n + 1}: {exc}")
            continue
        if cp.origin != origin:
            fails.append(f"checkpoint line {n + 1}: origin {cp.origin!r} is not {origin!r}")
        if out and cp.size <= out[-1].checkpoint.size:
            fails.append(f"checkpoint line {n + 1}: size {cp.size} does not grow")
        cosigners = []
        for sig in note.signatures:
            if sig.name == log.name and sig.key_id == log.key_id:
                continue
            w = witnesses.get(sig.name)
            try:
                if w is None:
                    raise LedgerError(f"signature by {sig.name}, which is not in keys.json")
                verify_cosignature(note.text, sig, w)
                cosigners.append(w.name)
            except LedgerError as exc:
                fails.append(f"checkpoint of size {cp.size}: {exc}")
        out.append(CheckpointInfo(cp, cosigners))
    if not out:
        fails.append("the bundle has no checkpoint")
    return out


def _first_pass(reader: BundleReader) -> tuple[set[int], dict[str, bytes], dict[str, bytes]]:
    """Voided entry indices and enrolled keys' SPKI by key id (unverified hints).

    Scans the raw bytes for the three kinds it needs and parses only those lines.
    """
    voided: set[int] = set()
    voters: dict[str, bytes] = {}
    officials: dict[str, bytes] = {}
    markers = (b'"kind":"entry.voided"', b'"kind":"key.enrolled"', b'"kind":"official.enrolled"')
    rest = b""
    for block in reader.blocks(ENTRIES):
        data = rest + block
        cut = data.rfind(b"\n") + 1
        data, rest = data[:cut], data[cut:]
        for marker in markers:
            pos = data.find(marker)
            while pos >= 0:
                start = data.rfind(b"\n", 0, pos) + 1
                end = data.find(b"\n", pos)
                _hint(data[start:end], voided, voters, officials)
                pos = data.find(marker, end)
    if rest:
        _hint(rest, voided, voters, officials)
    return voided, voters, officials


def _hint(line: bytes, voided: set[int], voters: dict, officials: dict) -> None:
    try:
        obj = json.loads(line)
        p = obj["body"]["payload"]
        if obj["kind"] == VOIDED and isinstance(p["target"], int):
            voided.add(p["target"])
        elif obj["kind"] == KEY_ENROLLED:
            voters[p["key"]] = canonical.unb64url(p["spki"])
        elif obj["kind"] == OFFICIAL_ENROLLED:
            officials[p["official"]] = canonical.unb64url(p["spki"])
    except (ValueError, KeyError, TypeError, LedgerError):
        pass  # the second pass reports malformed entries


def _chunks(reader: BundleReader, hasher: Any) -> Iterator[tuple[int, list[bytes]]]:
    start = 0
    for lines in reader.line_chunks(ENTRIES, CHUNK, hasher):
        for i in range(0, len(lines), CHUNK):
            part = lines[i : i + CHUNK]
            yield start, part
            start += len(part)


def _ordered_results(chunks: Iterator[tuple[int, list[bytes]]], workers: int, init_args: tuple):
    """Run ``sigcheck.check_chunk`` over chunks, in order, at most a few chunks in flight."""
    if workers <= 1:
        sigcheck.init(*init_args)
        for start, lines in chunks:
            yield sigcheck.check_chunk(start, lines)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=sigcheck.init, initargs=init_args) as pool:
        pending: deque = deque()
        for start, lines in chunks:
            pending.append(pool.apply_async(sigcheck.check_chunk, (start, lines)))
            if len(pending) >= 2 * workers + 1:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _stream_entries(
    reader: BundleReader,
    report: Report,
    log: Verifier,
    manifest: dict,
    cps: list[CheckpointInfo],
    workers: int,
    want_nodes: set | None,
) -> tuple[Replayer | None, dict, int, bytes]:
    voided, voters, officials = _first_pass(reader)
    replayer = Replayer(log.vkey, reader.read(ROSTER), voided)
    chain = report.check("entries: encoding and hash chain")
    sigs = report.check("entries: signatures")
    roots = report.check("merkle roots against checkpoints")
    nodes: dict = {}

    def on_node(level: int, index: int, h: bytes) -> None:
        if (level, index) in want_nodes:
            nodes[(level, index)] = h

    tree = treemath.CompactRange(on_node if want_nodes else None)
    cp_sizes = {c.checkpoint.size: c.checkpoint.root for c in cps}
    if 0 in cp_sizes and cp_sizes[0] != merkle.empty_root():
        roots.append("checkpoint of size 0 does not have the empty root")
    hasher = hashlib.sha256()
    last_leaf = bytes(32)
    ballot = replayer.ballot
    feed = replayer.feed
    results = _ordered_results(
        _chunks(reader, hasher), workers, (voters, officials, log.public_key)
    )
    for start, leaves, first_prev, records, errors in results:
        if first_prev is not None and first_prev != last_leaf:
            chain.append(f"entry {start}: prev is not the hash of the entry before it")
        for index, message in errors:
            (sigs if "signature" in message or "key" in message else chain).append(
                f"entry {index}: {message}"
            )
        for i, rec in enumerate(records):
            index = start + i
            tree.append(leaves[32 * i : 32 * i + 32])
            if rec is not None:
                if type(rec) is tuple:
                    ballot(index, *rec)
                else:
                    feed(rec)
            root = cp_sizes.get(index + 1)
            if root is not None and tree.root() != root:
                roots.append(f"the root of the first {index + 1} entries is not the checkpoint's")
        last_leaf = leaves[-32:] if leaves else last_leaf
    if ENTRIES in reader.unterminated:
        chain.append("entries.jsonl does not end with a newline")
    _member_hash(report, manifest, ENTRIES, hasher.hexdigest(), tree.size, reader)
    size = tree.size
    if cps and cps[-1].checkpoint.size != size:
        roots.append(
            f"the newest checkpoint has size {cps[-1].checkpoint.size}, the bundle {size} entries"
        )
    for c in cps:
        if c.checkpoint.size > size:
            roots.append(f"checkpoint of size {c.checkpoint.size} is beyond the entries")
    return replayer, nodes, size, tree.root()


def _member_hash(
    report: Report, manifest: dict, name: str, sha: str, _n: int, reader: BundleReader
) -> None:
    line: ManifestLine | None = manifest.get(name)
    size = reader.zip.getinfo(name).file_size if name in reader.names else None
    if line is None:
        report.check("manifest").append(f"{name} is not listed in the MANIFEST")
    elif line.sha256 != sha or line.size != size:
        report.check("manifest").append(f"{name} does not match its MANIFEST line")


def _check_members(reader: BundleReader, report: Report, manifest: dict) -> None:
    fails = report.check("manifest")
    for name in sorted(reader.names - {MANIFEST}):
        if name not in manifest:
            fails.append(f"unexpected member {name} (not in the MANIFEST)")
    for name in sorted(manifest):
        if name not in reader.names:
            fails.append(f"member {name} listed in the MANIFEST is missing")
        elif name != ENTRIES:
            h = hashlib.sha256()
            for block in reader.blocks(name):
                h.update(block)
            _member_hash(report, manifest, name, h.hexdigest(), 0, reader)


def _copies(reader: BundleReader, report: Report, replayer: Replayer | None) -> None:
    fails = report.check("assembly.json and result.json match the log")
    if replayer is None or replayer.assembly is None:
        fails.append("no valid assembly.published entry to compare with")
        return
    if reader.read(ASSEMBLY) != canonical.encode(replayer.assembly.doc):
        fails.append("assembly.json differs from the assembly in entry 0")
    if replayer.result_index is None:
        if RESULT in reader.names:
            fails.append("result.json present but no result.published entry")
    elif RESULT not in reader.names:
        fails.append("result.published entry but no result.json")
    else:
        report.info["result_entry"] = replayer.result_index
        if reader.read(RESULT) != canonical.encode(replayer.result_doc):
            fails.append("result.json differs from the result.published entry")


def verify_bundle(
    path: Path | str,
    previous: Path | str | None = None,
    log_key: str | None = None,
    workers: int | None = None,
) -> Report:
    """Verify a bundle; raise :class:`BundleError` only when it cannot be read at all."""
    t0 = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    report = Report(str(path))
    reader = BundleReader(path)
    log, witnesses = _keys(reader, report, log_key)
    origin, manifest = reader.verify_manifest(log)
    report.info["origin"] = origin
    _check_members(reader, report, manifest)
    cps = _checkpoints(reader, report, log, witnesses, origin)
    old = _previous(previous, log, origin, report) if previous else None
    # The consistency proof needs the nodes of ranges that depend on the new size,
    # which is known from the newest checkpoint before streaming.
    want = None
    new_size = cps[-1].checkpoint.size if cps else 0
    if old is not None and old.size <= new_size:
        want = {
            n
            for r in treemath.consistency_ranges(old.size, new_size)
            for n in treemath.range_nodes(*r)
        }
    replayer, nodes, size, root = _stream_entries(reader, report, log, manifest, cps, workers, want)
    rules = report.check("rules: keys, ballots, window, casting rules")
    for f in replayer.failures:
        rules.append(f)
    if replayer.failure_count > len(replayer.failures):
        rules.append(f"... and {replayer.failure_count - len(replayer.failures)} more")
    tally = report.check("tally against the published result")
    if replayer.result_ok is False:
        tally.append("the published result differs from the recomputed tally")
    _copies(reader, report, replayer)
    if old is not None:
        _consistency(report, old, size, root, nodes)
    elapsed = time.perf_counter() - t0
    report.info.update(
        {
            "entries": size,
            "ballots": replayer.ballots,
            "heads_voted": len(replayer.heads),
            "checkpoints": len(cps),
            "cosigned": sum(1 for c in cps if c.cosigners),
            "witnesses": sorted({w for c in cps for w in c.cosigners}),
            "closed": replayer.closed_at is not None,
            "result_published": replayer.result_index is not None,
            "seconds": round(elapsed, 3),
            "workers": workers,
        }
    )
    return report


@dataclass
class OldLog:
    size: int
    root: bytes


def _previous(path: Path | str, log: Verifier, origin: str, report: Report) -> OldLog | None:
    """Check the older bundle's own integrity (manifest, checkpoints, entries' root)."""
    fails = report.check("previous bundle")
    try:
        reader = BundleReader(path)
        old_log, witnesses = _keys(reader, Report(str(path)), None)
        if old_log.vkey != log.vkey:
            fails.append("the previous bundle is signed by another log key")
            return None
        old_origin, manifest = reader.verify_manifest(log)
        if old_origin != origin:
            fails.append(f"the previous bundle is of another log ({old_origin})")
            return None
        sub = Report(str(path))
        _check_members(reader, sub, manifest)
        cps = _checkpoints(reader, sub, log, witnesses, origin)
        hasher = hashlib.sha256()
        tree = treemath.CompactRange()
        for lines in reader.line_chunks(ENTRIES, CHUNK * 8, hasher):
            for line in lines:
                tree.append(merkle.leaf_hash(line))
        _member_hash(sub, manifest, ENTRIES, hasher.hexdigest(), 0, reader)
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


def _consistency(report: Report, old: OldLog, size: int, root: bytes, nodes: dict) -> None:
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
