"""Offline verification of an audit bundle (no database, no web).

``verify_bundle(path, previous=None, log_key=None, workers=None) -> Report``
runs every check of docs/audit-bundle.md in order and names each failure.
Entries are streamed twice: a cheap first pass collects the voided entries, the
enrolled keys' bytes and a secret assembly's election key (a hint); the second pass
hands chunks of entries to worker processes (:mod:`ledger.sigcheck`, one per core:
signatures, and secret ballots' proofs) and replays their results in order
(:mod:`ledger.replay`) while folding the Merkle tree in O(log n) memory.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from ledger import canonical, merkle, sigcheck, treemath
from ledger.bundle import (
    ASSEMBLY,
    ENTRIES,
    RESULT,
    ROSTER,
    BundleReader,
    ManifestLine,
)
from ledger.bundlechecks import (
    CheckpointInfo,
    check_checkpoints,
    check_keys,
    check_members,
    check_producer,
    check_witness_policy,
    member_hash,
)
from ledger.errors import LedgerError
from ledger.kinds import KEY_ENROLLED, OFFICIAL_ENROLLED, VOIDED
from ledger.note import (
    Verifier,
)
from ledger.previous import check_consistency, check_previous
from ledger.replay import Replayer
from ledger.replaysecret import ProofHint, proof_hint
from ledger.report import Report

CHUNK = 2000


FirstPass = tuple[set[int], dict[str, bytes], dict[str, bytes], ProofHint | None]


def _first_pass(reader: BundleReader) -> FirstPass:
    """Voided entry indices, enrolled keys' SPKI by key id and, for a secret assembly, its
    election key and layouts (:func:`ledger.replaysecret.proof_hint`): unverified hints.

    Scans the raw bytes for the kinds it needs and parses only those lines.
    """
    voided: set[int] = set()
    voters: dict[str, bytes] = {}
    officials: dict[str, bytes] = {}
    markers = (b'"kind":"entry.voided"', b'"kind":"key.enrolled"', b'"kind":"official.enrolled"')
    ceremony: list[bytes] = []
    entry0: bytes | None = None
    rest = b""
    for block in reader.blocks(ENTRIES):
        data = rest + block
        cut = data.rfind(b"\n") + 1
        data, rest = data[:cut], data[cut:]
        if entry0 is None and cut:
            entry0 = data[:data.find(b"\n")]
        for marker in markers:
            pos = data.find(marker)
            while pos >= 0:
                start = data.rfind(b"\n", 0, pos) + 1
                end = data.find(b"\n", pos)
                _hint(data[start:end], voided, voters, officials)
                pos = data.find(marker, end)
        pos = data.find(b'"kind":"trustee.')
        while pos >= 0:
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            ceremony.append(data[start:end])
            pos = data.find(b'"kind":"trustee.', end)
    if rest:
        _hint(rest, voided, voters, officials)
        entry0 = entry0 if entry0 is not None else rest
    hint = proof_hint(entry0, ceremony) if entry0 is not None and ceremony else None
    return voided, voters, officials, hint


def _hint(
    line: bytes, voided: set[int], voters: dict[str, bytes], officials: dict[str, bytes]
) -> None:
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


# sigcheck.init's arguments: voters' and officials' SPKI by key id, the log's raw public key,
# a secret assembly's proof hint
_InitArgs = tuple[dict[str, bytes], dict[str, bytes], bytes, ProofHint | None]


def _ordered_results(
    chunks: Iterator[tuple[int, list[bytes]]], workers: int, init_args: _InitArgs
) -> Iterator[sigcheck.ChunkResult]:
    """Run ``sigcheck.check_chunk`` over chunks, in order, at most a few chunks in flight."""
    if workers <= 1:
        sigcheck.init(*init_args)
        for start, lines in chunks:
            yield sigcheck.check_chunk(start, lines)
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=sigcheck.init, initargs=init_args) as pool:
        pending: deque[AsyncResult[sigcheck.ChunkResult]] = deque()
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
    origin: str,
    manifest: Mapping[str, ManifestLine],
    cps: list[CheckpointInfo],
    workers: int,
    want_nodes: set[treemath.Node] | None,
) -> tuple[Replayer, dict[treemath.Node, bytes], int, bytes]:
    voided, voters, officials, hint = _first_pass(reader)
    replayer = Replayer(log.vkey, reader.read(ROSTER), voided, origin)
    replayer.proof_hint = hint
    chain = report.check("entries: encoding and hash chain")
    sigs = report.check("entries: signatures")
    roots = report.check("merkle roots against checkpoints")
    nodes: dict[treemath.Node, bytes] = {}
    wanted = want_nodes or set()  # on_node runs only when some are wanted

    def on_node(level: int, index: int, h: bytes) -> None:
        if (level, index) in wanted:
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
        _chunks(reader, hasher), workers, (voters, officials, log.public_key, hint)
    )
    last_time = -1  # entry times never decrease (§5)
    for start, leaves, first_prev, records, errors, proved in results:
        replayer.proved.update(proved)
        if first_prev is not None and first_prev != last_leaf:
            chain.append(f"entry {start}: prev is not the hash of the entry before it")
        for index, kind, message in errors:
            (sigs if kind == sigcheck.SIGNATURE else chain).append(f"entry {index}: {message}")
        for i, rec in enumerate(records):
            index = start + i
            tree.append(leaves[32 * i : 32 * i + 32])
            if rec is not None:
                if isinstance(rec, tuple):  # a ballot (an Entry is no tuple)
                    t = rec[0]
                    ballot(index, *rec)
                else:
                    t = rec.time
                    feed(rec)
                if t < last_time:
                    chain.append(f"entry {index}: time {t} is before the time {last_time} of "
                                 "an earlier entry (entry times never decrease)")
                last_time = max(last_time, t)
            root = cp_sizes.get(index + 1)
            if root is not None and tree.root() != root:
                roots.append(f"the root of the first {index + 1} entries is not the checkpoint's")
        last_leaf = leaves[-32:] if leaves else last_leaf
    if ENTRIES in reader.unterminated:
        chain.append("entries.jsonl does not end with a newline")
    member_hash(report, manifest, ENTRIES, hasher.hexdigest(), tree.size, reader)
    size = tree.size
    if cps and cps[-1].checkpoint.size != size:
        roots.append(
            f"the newest checkpoint has size {cps[-1].checkpoint.size}, the bundle {size} entries"
        )
    for c in cps:
        if c.checkpoint.size > size:
            roots.append(f"checkpoint of size {c.checkpoint.size} is beyond the entries")
    return replayer, nodes, size, tree.root()


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
    on_replayed: Callable[[Replayer], None] | None = None,
) -> Report:
    """Verify a bundle; raise :class:`BundleError` only when it cannot be read at all.

    ``on_replayed``: called with the replayed log's state once every entry is read (``ownervote
    trustee decrypt --bundle`` takes the secret tally's sums from it)."""
    t0 = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    report = Report(str(path))
    reader = BundleReader(path)
    log, witnesses = check_keys(reader, report, log_key)
    origin, manifest = reader.verify_manifest(log)
    report.info["origin"] = origin
    check_members(reader, report, manifest)
    check_producer(reader, report)
    cps = check_checkpoints(reader, report, log, witnesses, origin)
    old = check_previous(previous, log, origin, report) if previous else None
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
    replayer, nodes, size, root = _stream_entries(reader, report, log, origin, manifest, cps,
                                                 workers, want)
    if on_replayed is not None and replayer is not None:
        on_replayed(replayer)
    rules = report.check("rules: keys, ballots, window, casting rules")
    for f in replayer.failures:
        rules.append(f)
    if replayer.failure_count > len(replayer.failures):
        rules.append(f"... and {replayer.failure_count - len(replayer.failures)} more")
    check_witness_policy(report, replayer.witness_policy, cps, witnesses)
    tally = report.check("tally against the published result")
    if replayer.result_ok is False:
        tally.append("the published result differs from the recomputed tally")
    _copies(reader, report, replayer)
    if old is not None:
        check_consistency(report, old, size, root, nodes)
    elapsed = time.perf_counter() - t0
    counting = replayer.counting
    if replayer.secret_tally is not None:
        report.info["secret_tally"] = replayer.secret_tally
    report.info.update(
        {
            "entries": size,
            "ballots": replayer.ballots,
            "voided": len(replayer.voided),
            # units sold during the vote (not voided)
            "transfers": len(counting.transfers) if counting else 0,
            "heads_voted": len(counting.heads) if counting else 0,
            "checkpoints": len(cps),
            "cosigned": sum(1 for c in cps if c.cosigners),
            "witness_policy": (None if replayer.witness_policy is None
                               else replayer.witness_policy.to_doc()),
            "witnesses": sorted({w for c in cps for w in c.cosigners}),
            "closed": replayer.closed_at is not None,
            "result_published": replayer.result_index is not None,
            "final_announced": replayer.final_index is not None,
            "seconds": round(elapsed, 3),
            "workers": workers,
        }
    )
    return report
