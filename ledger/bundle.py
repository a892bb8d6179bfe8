"""The audit bundle container: one zip file, every member bound to a signed manifest.

Members (all UTF-8; see docs/audit-bundle.md for each layout)::

    MANIFEST           signed note by the log key listing every other member
    keys.json          {"log": vkey, "witnesses": [vkey, ...]}
    assembly.json      the assembly definition (as in entry 0)
    roster.json        units, areas with source, head grouping (no owners)
    entries.jsonl      every entry, one per line ("\\n"-terminated)
    checkpoints.jsonl  {"note": "<checkpoint with signature and cosignature lines>"} per line
    result.json        the published result (only once it is published)
    producer.json      {"name": "ownervote", "version": "X.Y.Z"}: what wrote the bundle
                       (optional: bundles of earlier versions have none; ledger.producer)

The MANIFEST note text is::

    ownervote-audit-bundle/v1
    <origin>
    <lowercase hex SHA-256> <size in bytes> <member name>     (one line per member, by name)

A reader refuses (:class:`BundleError`, exit 2) a zip with duplicate names, an archive
comment, an encrypted member, a member neither STORED nor DEFLATED, no MANIFEST, or a
required member missing; an unlisted member (a directory too) or a listed optional one
missing is a failure of the *manifest* check (docs/audit-bundle.md §3).
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ledger.errors import BundleError, NoteError
from ledger.note import Note, Signer, Verifier, parse_note, sign_note, verify_note_signature

FORMAT = "ownervote-audit-bundle/v1"
MANIFEST = "MANIFEST"
KEYS = "keys.json"
ASSEMBLY = "assembly.json"
ROSTER = "roster.json"
ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
RESULT = "result.json"
PRODUCER = "producer.json"
KNOWN = (KEYS, ASSEMBLY, ROSTER, ENTRIES, CHECKPOINTS, RESULT, PRODUCER)
REQUIRED = (KEYS, ASSEMBLY, ROSTER, ENTRIES, CHECKPOINTS)
BLOCK = 1 << 22
MAX_LINE = 1 << 22  # no entry comes near 4 MiB; refuse instead of buffering without end
#: what reading a damaged member raises (a bad CRC, a corrupt or truncated deflate stream)
_UNREADABLE = (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error)


@dataclass(frozen=True)
class ManifestLine:
    sha256: str
    size: int
    name: str


def manifest_text(origin: str, lines: list[ManifestLine]) -> str:
    body = "".join(f"{m.sha256} {m.size} {m.name}\n" for m in sorted(lines, key=lambda m: m.name))
    return f"{FORMAT}\n{origin}\n{body}"


def parse_manifest(text: str) -> tuple[str, dict[str, ManifestLine]]:
    lines = text.split("\n")
    if len(lines) < 3 or lines[0] != FORMAT or lines[-1] != "":
        raise BundleError("not an ownervote-audit-bundle/v1 manifest", MANIFEST)
    origin = lines[1]
    members: dict[str, ManifestLine] = {}
    for line in lines[2:-1]:
        parts = line.split(" ")
        if len(parts) != 3 or len(parts[0]) != 64 or not parts[1].isdigit():
            raise BundleError(f"malformed manifest line {line!r}", MANIFEST)
        sha, size, name = parts
        if name not in KNOWN or name in members:
            raise BundleError(f"manifest lists unknown or repeated member {name!r}", MANIFEST)
        if sha != sha.lower() or str(int(size)) != size:
            raise BundleError(f"manifest line for {name} is not canonical", MANIFEST)
        members[name] = ManifestLine(sha, int(size), name)
    if manifest_text(origin, list(members.values())) != text:
        raise BundleError("manifest lines are not sorted by name", MANIFEST)
    for name in REQUIRED:
        if name not in members:
            raise BundleError(f"manifest lacks required member {name}", MANIFEST)
    return origin, members


class BundleWriter:
    """Write members (streamed for the big ones), then the signed MANIFEST."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.zip = zipfile.ZipFile(
            self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
        )
        self.lines: list[ManifestLine] = []

    def add(self, name: str, data: bytes) -> None:
        with self.open(name) as fh:
            fh.write(data)

    def open(self, name: str) -> _MemberWriter:
        if name not in KNOWN or any(m.name == name for m in self.lines):
            raise BundleError(f"unknown or repeated member {name}")
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return _MemberWriter(self, name, self.zip.open(info, "w", force_zip64=True))

    def finish(self, origin: str, signer: Signer) -> Note:
        note = sign_note(manifest_text(origin, self.lines), signer)
        info = zipfile.ZipInfo(MANIFEST, date_time=(1980, 1, 1, 0, 0, 0))
        self.zip.writestr(info, note.serialize().encode())
        self.zip.close()
        return note


class _MemberWriter:
    def __init__(self, owner: BundleWriter, name: str, fh: IO[bytes]) -> None:
        self.owner, self.name, self.fh = owner, name, fh
        self.h = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.h.update(data)
        self.size += len(data)
        self.fh.write(data)

    def __enter__(self) -> _MemberWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()
        self.owner.lines.append(ManifestLine(self.h.hexdigest(), self.size, self.name))


class BundleReader:
    """Open a bundle, check its container, expose members (streamed or whole)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise BundleError(f"{self.path}: not a readable zip file ({exc})") from None
        names = [i.filename for i in self.zip.infolist()]
        if len(set(names)) != len(names):
            raise BundleError("the zip has duplicate member names")
        if self.zip.comment:
            raise BundleError("the zip has an archive comment (not allowed)")
        for info in self.zip.infolist():
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BundleError("unsupported compression", info.filename)
            if info.flag_bits & 0x1:
                raise BundleError("encrypted (not allowed)", info.filename)
        self.names = set(names)
        self.unterminated: set[str] = set()
        if MANIFEST not in self.names:
            raise BundleError("the zip has no MANIFEST")
        self.manifest_note = self._note()

    def _note(self) -> Note:
        try:
            return parse_note(self.read(MANIFEST, limit=1 << 20).decode("utf-8"))
        except (NoteError, UnicodeDecodeError) as exc:
            raise BundleError(f"unreadable: {exc}", MANIFEST) from None

    def verify_manifest(self, log: Verifier) -> tuple[str, dict[str, ManifestLine]]:
        """Check the manifest's signature; return its origin and lines."""
        try:
            verify_note_signature(self.manifest_note, log)
        except NoteError as exc:
            raise BundleError(str(exc), MANIFEST) from None
        if len(self.manifest_note.signatures) != 1:
            raise BundleError("manifest must carry exactly one signature", MANIFEST)
        origin, lines = parse_manifest(self.manifest_note.text)
        for name in REQUIRED:  # listed (parse_manifest) and present, or nothing can be read
            if name not in self.names:
                raise BundleError("missing (a required member)", name)
        return origin, lines

    def read(self, name: str, limit: int = 1 << 28) -> bytes:
        if name not in self.names:
            raise BundleError("missing", name)
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            raise BundleError(f"larger than {limit} bytes", name)
        try:
            return self.zip.read(name)
        except _UNREADABLE as exc:
            raise BundleError(f"cannot be read: {exc}", name) from None

    def blocks(self, name: str) -> Iterator[bytes]:
        if name not in self.names:
            raise BundleError("missing", name)
        try:
            with self.zip.open(name) as fh:
                while block := fh.read(BLOCK):
                    yield block
        except _UNREADABLE as exc:
            raise BundleError(f"cannot be read: {exc}", name) from None

    def line_chunks(
        self, name: str, lines_per_chunk: int, hasher: hashlib._Hash | None = None
    ) -> Iterator[list[bytes]]:
        """Yield the member's lines (without "\\n") in groups, updating ``hasher``.

        A last line without its "\\n" is yielded too and recorded in
        ``self.unterminated`` so the verifier can report it.
        """
        rest = b""
        pending: list[bytes] = []
        for block in self.blocks(name):
            if hasher is not None:
                hasher.update(block)
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            if len(rest) > MAX_LINE:
                raise BundleError(f"a line longer than {MAX_LINE} bytes", name)
            pending.extend(parts)
            if len(pending) >= lines_per_chunk:
                yield pending
                pending = []
        if rest:
            self.unterminated.add(name)
            pending.append(rest)
        if pending:
            yield pending
