"""Building blocks of the audit-bundle test vectors (docs/vectors/, tests.support.vectors).

Everything is deterministic, so regenerating the vectors gives the same bytes: keys come
from fixed seeds, ECDSA signatures are RFC 6979 (then low-S, as every signer must), nonces
are derived from a counter, and the zip is written STORED with fixed dates.  A
:class:`Draft` holds a log's entries as (time, kind, body) and writes them as a bundle —
chained, checkpointed, cosigned and under a signed MANIFEST — with hooks that let a
vector tamper with lines, notes, members or the zip bytes before or after signing.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ledger import canonical, merkle
from ledger.ballots import PREFIXES, key_id, low_s, spki
from ledger.bundle import (
    ASSEMBLY,
    CHECKPOINTS,
    ENTRIES,
    KEYS,
    MANIFEST,
    RESULT,
    ROSTER,
    ManifestLine,
    manifest_text,
)
from ledger.entries import GENESIS_PREV, entry_hash
from ledger.note import ALG_COSIGNATURE_V1, Checkpoint, Note, Signer, cosign, sign_note

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
OPENS = 1_772_323_200_000  # 2026-03-01T00:00:00Z
CLOSES = OPENS + 15 * 86_400_000
DAY = 86_400_000
ORIGIN = "vectors.example/community-1/assembly/1"


def seed(name: str) -> bytes:
    return hashlib.sha256(b"ownervote test vectors/" + name.encode()).digest()


def ed25519(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed(name))


LOG = Signer("vectors.example/log", ed25519("log"))
IMPOSTOR = Signer("vectors.example/log", ed25519("impostor"))  # same name, another key
W1 = Signer("witness.example/w1", ed25519("w1"), ALG_COSIGNATURE_V1)
W2 = Signer("stranger.example/w2", ed25519("w2"), ALG_COSIGNATURE_V1)
COSIGNED_AT = 1_773_622_800  # POSIX seconds
COMMITTEE = ed25519("committee")


def device(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(seed("device/" + name), "big") % (N - 1) + 1,
                                 ec.SECP256R1())


def device_spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return spki(key.public_key())


def sign_device(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """RFC 6979 ECDSA P-256/SHA-256, P1363 ``r || s``, low-S."""
    der = key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return low_s(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def high_s(sig: bytes) -> bytes:
    """The malleated twin ``(r, n - s)`` of a low-S signature."""
    s = int.from_bytes(sig[32:], "big")
    return sig[:32] + (N - s).to_bytes(32, "big")


Entry = tuple[int, str, dict[str, Any]]  # (time, kind, body)
LinesHook = Callable[[list[bytes]], list[bytes]]
NotesHook = Callable[[list[Note]], list[Note]]
MembersHook = Callable[[dict[str, bytes]], dict[str, bytes]]


@dataclass
class Draft:
    """A log under construction and how to write it as a bundle."""

    assembly: dict[str, Any]
    roster: bytes
    policy: dict[str, Any] | None = None
    log: Signer = LOG
    origin: str = ORIGIN
    entries: list[Entry] = field(default_factory=list)
    result: dict[str, Any] | None = None
    witnesses: list[Signer] = field(default_factory=lambda: [W1])  # named in keys.json
    cosigners: list[Signer] = field(default_factory=lambda: [W1])  # cosign every checkpoint
    checkpoint_sizes: list[int] | None = None  # None: one checkpoint of the whole log
    checkpoint_origin: str | None = None  # None: the log's origin
    nonces: int = 0

    def __post_init__(self) -> None:
        body: dict[str, Any] = {
            "origin": self.origin,
            "assembly": self.assembly,
            "roster_sha256": hashlib.sha256(self.roster).hexdigest(),
            "log_key": self.log.verifier.vkey,
        }
        if self.policy is not None:
            body["witness_policy"] = self.policy
        self.entries.append((OPENS - DAY, "assembly.published", body))

    # -- entries ---------------------------------------------------------------------------

    def nonce(self) -> str:
        self.nonces += 1
        return canonical.b64url(seed(f"nonce/{self.nonces}")[:16])

    def add(self, t: int, kind: str, body: dict[str, Any]) -> int:
        self.entries.append((t, kind, body))
        return len(self.entries) - 1

    def attest(self, t: int, kind: str, payload: dict[str, Any]) -> int:
        payload = {"origin": self.origin, **payload}
        sig = self.log.private_key.sign(PREFIXES[kind] + canonical.encode(payload))
        return self.add(t, kind, {"payload": payload, "sig": canonical.b64url(sig)})

    def enrol_official(self, t: int) -> str:
        raw = spki(COMMITTEE.public_key())
        self.attest(t, "official.enrolled", {"official": key_id(raw), "role": "committee",
                                             "spki": canonical.b64url(raw), "ref": "staff-1"})
        return key_id(raw)

    def enrol(self, t: int, head: str, key: ec.EllipticCurvePrivateKey, voter: str,
              agent: str | None = None) -> int:
        raw = device_spki(key)
        return self.attest(t, "key.enrolled", {
            "head": head, "key": key_id(raw), "spki": canonical.b64url(raw),
            "role": "owner" if agent is None else "proxy", "agent": agent, "voter": voter})

    def official(self, t: int, kind: str, payload: dict[str, Any]) -> int:
        raw = spki(COMMITTEE.public_key())
        payload = {"origin": self.origin, "official": key_id(raw), "nonce": self.nonce(),
                   **payload}
        sig = COMMITTEE.sign(PREFIXES[kind] + canonical.encode(payload))
        return self.add(t, kind, {"payload": payload, "sig": canonical.b64url(sig)})

    def ballot(self, t: int, key: ec.EllipticCurvePrivateKey, head: str, seq: int,
               choices: dict[str, Any], extra: dict[str, Any] | None = None,
               malleate: bool = False) -> int:
        payload = {"origin": self.origin, "head": head, "key": key_id(device_spki(key)),
                   "seq": seq, "nonce": self.nonce(), "choices": choices, **(extra or {})}
        sig = sign_device(key, PREFIXES["ballot"] + canonical.encode(payload))
        if malleate:
            sig = high_s(sig)
        return self.add(t, "ballot", {"payload": payload, "sig": canonical.b64url(sig)})

    def close(self, result: dict[str, Any], at: int = CLOSES) -> None:
        self.add(at, "voting.closed", {"reason": "deadline"})
        self.result = result
        self.add(CLOSES + 3_600_000, "result.published", {"result": result})

    # -- the bundle ------------------------------------------------------------------------

    def lines(self) -> list[bytes]:
        out: list[bytes] = []
        prev = GENESIS_PREV
        for index, (t, kind, body) in enumerate(self.entries):
            data = canonical.encode({"v": 1, "index": index, "prev": prev.hex(), "time": t,
                                     "kind": kind, "body": body})
            out.append(data)
            prev = entry_hash(data)
        return out

    def notes(self, lines: list[bytes]) -> list[Note]:
        notes = []
        for size in self.checkpoint_sizes or [len(lines)]:
            origin = self.checkpoint_origin or self.origin
            text = Checkpoint(origin, size, merkle.root(lines[:size])).text()
            note = sign_note(text, self.log)
            cosigs = tuple(cosign(text, w, COSIGNED_AT) for w in self.cosigners)
            notes.append(Note(note.text, note.signatures + cosigs))
        return notes

    def members(self, lines_hook: LinesHook | None = None,
                notes_hook: NotesHook | None = None) -> dict[str, bytes]:
        lines = self.lines()
        if lines_hook is not None:
            lines = lines_hook(lines)
        notes = self.notes(lines)
        if notes_hook is not None:
            notes = notes_hook(notes)
        members = {
            KEYS: canonical.encode({"log": self.log.verifier.vkey,
                                    "witnesses": [w.verifier.vkey for w in self.witnesses]}),
            ASSEMBLY: canonical.encode(self.assembly),
            ROSTER: self.roster,
            ENTRIES: b"".join(line + b"\n" for line in lines),
            CHECKPOINTS: b"".join(canonical.encode({"note": n.serialize()}) + b"\n"
                                  for n in notes),
        }
        if self.result is not None:
            members[RESULT] = canonical.encode(self.result)
        return members


def manifest(origin: str, members: dict[str, bytes], log: Signer = LOG) -> bytes:
    lines = [ManifestLine(hashlib.sha256(data).hexdigest(), len(data), name)
             for name, data in members.items()]
    return sign_note(manifest_text(origin, lines), log).serialize().encode()


def zip_bytes(members: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_STORED,
              comment: bytes = b"") -> bytes:
    """A zip of ``members`` in this order, fixed dates (byte-for-byte reproducible)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method if name == ENTRIES else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
        z.comment = comment
    return buf.getvalue()


def bundle_bytes(members: dict[str, bytes], *, origin: str = ORIGIN, log: Signer = LOG,
                 unlisted: dict[str, bytes] | None = None,
                 listed_but_missing: tuple[str, ...] = ()) -> bytes:
    """The zip of ``members`` under a MANIFEST signed by ``log``; ``unlisted`` members are
    added after signing, ``listed_but_missing`` ones signed but left out."""
    signed = manifest(origin, members, log)
    present = [(n, d) for n, d in sorted(members.items()) if n not in listed_but_missing]
    return zip_bytes([*present, *(unlisted or {}).items(), (MANIFEST, signed)])


def set_encrypted_flag(data: bytes, name: str) -> bytes:
    """Mark member ``name`` as encrypted (general purpose bit 0) in both of its headers."""
    raw = bytearray(data)
    encoded = name.encode()
    for signature, flag_at, length_at, name_at in ((b"PK\x03\x04", 6, 26, 30),
                                                   (b"PK\x01\x02", 8, 28, 46)):
        pos = raw.find(signature)
        while pos >= 0:
            length = int.from_bytes(raw[pos + length_at:pos + length_at + 2], "little")
            if bytes(raw[pos + name_at:pos + name_at + length]) == encoded:
                raw[pos + flag_at] |= 0x01
            pos = raw.find(signature, pos + 4)
    return bytes(raw)
