"""Checks on a bundle's small members: keys, manifest lines, checkpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from ledger import canonical
from ledger.bundle import (
    CHECKPOINTS,
    ENTRIES,
    KEYS,
    MANIFEST,
    PRODUCER,
    BundleReader,
    ManifestLine,
)
from ledger.errors import BundleError, LedgerError
from ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    Verifier,
    parse_note,
    verify_cosignature,
    verify_note_signature,
)
from ledger.producer import parse_producer
from ledger.report import Report
from ledger.witnesspolicy import WitnessPolicy


@dataclass
class CheckpointInfo:
    checkpoint: Checkpoint
    cosigners: list[str]


def check_keys(
    reader: BundleReader, report: Report, pinned: str | None
) -> tuple[Verifier, dict[str, Verifier]]:
    try:
        doc = canonical.decode(reader.read(KEYS, 1 << 20))
        if (not isinstance(doc, dict) or set(doc) != {"log", "witnesses"}
                or not isinstance(doc["log"], str) or not isinstance(doc["witnesses"], list)
                or not all(isinstance(w, str) for w in doc["witnesses"])):
            raise LedgerError('keys.json must be {"log": vkey, "witnesses": [vkey, ...]}')
        log = Verifier.parse(doc["log"])
        witnesses: dict[str, Verifier] = {}
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


def check_checkpoints(
    reader: BundleReader,
    report: Report,
    log: Verifier,
    witnesses: Mapping[str, Verifier],
    origin: str,
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
        seen: set[tuple[str, bytes]] = set()
        for sig in note.signatures:
            if (sig.name, sig.key_id) in seen:  # C2SP leaves it open; a bundle refuses it
                fails.append(f"checkpoint of size {cp.size}: a second signature line by "
                             f"{sig.name} (key id {sig.key_id.hex()})")
                continue
            seen.add((sig.name, sig.key_id))
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


def check_witness_policy(report: Report, policy: WitnessPolicy | None,
                         cps: list[CheckpointInfo], witnesses: Mapping[str, Verifier]) -> None:
    """The newest checkpoint carries the cosignatures the log's witness policy requires
    (entry 0's ``witness_policy``; a log without one passes)."""
    fails = report.check("witness policy")
    if policy is None or not cps:
        report.info["policy_cosigners"] = []
        return
    newest = cps[-1]
    counted = policy.counted(witnesses[name] for name in newest.cosigners)
    report.info["policy_cosigners"] = counted
    if len(counted) < policy.quorum:
        fails.append(
            f"the newest checkpoint (size {newest.checkpoint.size}) is cosigned by "
            f"{len(counted)} of the witnesses the policy names; it requires "
            f"{policy.describe()}")


def member_hash(
    report: Report,
    manifest: Mapping[str, ManifestLine],
    name: str,
    sha: str,
    _n: int,
    reader: BundleReader,
) -> None:
    line: ManifestLine | None = manifest.get(name)
    size = reader.zip.getinfo(name).file_size if name in reader.names else None
    if line is None:
        report.check("manifest").append(f"{name} is not listed in the MANIFEST")
    elif line.sha256 != sha or line.size != size:
        report.check("manifest").append(f"{name} does not match its MANIFEST line")


def check_members(
    reader: BundleReader, report: Report, manifest: Mapping[str, ManifestLine]
) -> None:
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
            member_hash(report, manifest, name, h.hexdigest(), 0, reader)


def check_producer(reader: BundleReader, report: Report) -> None:
    """``producer.json``, when present, names the program and version that wrote the
    bundle (ledger.producer); its bytes are bound by the MANIFEST like every member."""
    fails = report.check("producer")
    report.info["producer"] = None
    if PRODUCER not in reader.names:
        return  # optional: bundles written before it existed have none
    try:
        report.info["producer"] = parse_producer(reader.read(PRODUCER, 1 << 12)).to_doc()
    except LedgerError as exc:
        fails.append(f"{PRODUCER}: {exc}")
