"""Checks on a bundle's small members: keys, manifest lines, checkpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from ledger import canonical
from ledger.bundle import CHECKPOINTS, ENTRIES, KEYS, MANIFEST, BundleReader, ManifestLine
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
from ledger.report import Report


@dataclass
class CheckpointInfo:
    checkpoint: Checkpoint
    cosigners: list[str]


def check_keys(
    reader: BundleReader, report: Report, pinned: str | None
) -> tuple[Verifier, dict[str, Verifier]]:
    try:
        doc = canonical.decode(reader.read(KEYS, 1 << 20))
        if not isinstance(doc, dict) or set(doc) != {"log", "witnesses"}:
            raise LedgerError('keys.json must be {"log": vkey, "witnesses": [...]}')
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
