"""C2SP signed notes, tlog checkpoints and tlog cosignatures (Ed25519 only).

* signed-note: ``text`` (UTF-8, ends in a newline) + ``"\\n"`` + signature lines
  ``"— <name> <base64(key id[4] || signature)>\\n"``; an Ed25519 note key has
  key id ``SHA-256(name || "\\n" || 0x01 || pubkey)[:4]`` and signs ``text``.
* tlog-checkpoint: ``text`` is ``<origin>\\n<size>\\n<base64 root>\\n``.
* tlog-cosignature v1: key id ``SHA-256(name || "\\n" || 0x04 || pubkey)[:4]``;
  the signature is ``u64 big-endian timestamp || Ed25519 signature`` over
  ``"cosignature/v1\\ntime <timestamp>\\n" || text``.
* vkey: ``<name>+<hex key id>+<base64(type byte || pubkey)>``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import CosignatureError, NoteError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
DASH = "\u2014"


def note_key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """A signed-note key ID (C2SP signed-note): the first 4 bytes of
    SHA-256(name || "\\n" || algorithm byte || public key)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"key name {name!r} must be non-empty without spaces or '+'")


@dataclass(frozen=True)
class Verifier:
    """A note verifier key: name, algorithm byte (0x01 note, 0x04 cosignature) and raw key."""

    name: str
    alg: int
    public_key: bytes

    @functools.cached_property
    def key_id(self) -> bytes:
        return note_key_id(self.name, self.alg, self.public_key)

    @functools.cached_property
    def vkey(self) -> str:
        b64 = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{b64}"

    def ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    @classmethod
    def parse(cls, vkey: object) -> Verifier:
        if not isinstance(vkey, str):  # often untrusted JSON
            raise NoteError(f"vkey {vkey!r} is not a string")
        name, sep1, rest = vkey.partition("+")
        hexid, sep2, b64 = rest.partition("+")
        if not (sep1 and sep2):
            raise NoteError(f"vkey {vkey!r} is not name+keyid+key")
        _check_name(name)
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"vkey {name}: key is not base64") from exc
        if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError(f"vkey {name}: not an Ed25519 (0x01) or cosignature/v1 (0x04) key")
        v = cls(name, raw[0], raw[1:])
        if v.key_id.hex() != hexid or v.vkey != vkey:
            raise NoteError(f"vkey {name}: key id {hexid} does not match the key")
        return v


@dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)

    @functools.cached_property
    def verifier(self) -> Verifier:
        from cryptography.hazmat.primitives import serialization

        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return Verifier(self.name, self.alg, raw)


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes  # after the key id

    def line(self) -> str:
        b64 = base64.b64encode(self.key_id + self.signature).decode()
        return f"{DASH} {self.name} {b64}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    def serialize(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_note(data: str) -> Note:
    """Split a signed note into text and signature lines (no verification)."""
    if len(data) > 1_000_000:
        raise NoteError("note too large")
    sep = data.rfind("\n\n")
    if sep < 0 or not data.endswith("\n"):
        raise NoteError("malformed note: no blank line before the signatures")
    text, sig_block = data[: sep + 1], data[sep + 2 :]
    sigs = []
    for line in sig_block[:-1].split("\n"):
        prefix = DASH + " "
        if not line.startswith(prefix):
            raise NoteError(f"malformed signature line {line!r}")
        name, _, b64 = line[len(prefix) :].partition(" ")
        _check_name(name)
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"signature of {name} is not base64") from exc
        if len(raw) < 5:
            raise NoteError(f"signature of {name} too short")
        sigs.append(Signature(name, raw[:4], raw[4:]))
    if not sigs:
        raise NoteError("note has no signatures")
    note = Note(text, tuple(sigs))
    if note.serialize() != data:
        raise NoteError("note is not in canonical form")
    return note


def sign_note(text: str, signer: Signer) -> Note:
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end in a newline and contain no blank line")
    v = signer.verifier
    sig = signer.private_key.sign(text.encode())
    return Note(text, (Signature(v.name, v.key_id, sig),))


def verify_note_signature(note: Note, verifier: Verifier) -> None:
    """Raise :class:`NoteError` unless the note carries a valid signature by ``verifier``."""
    for s in note.signatures:
        if s.name == verifier.name and s.key_id == verifier.key_id:
            try:
                verifier.ed25519().verify(s.signature, note.text.encode())
            except InvalidSignature as exc:
                raise NoteError(f"signature of {verifier.name} on the note is invalid") from exc
            return
    raise NoteError(f"note has no signature by {verifier.name}")


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise NoteError("checkpoint must have exactly origin, size and root lines")
        origin, size_s, root_s = lines[:3]
        if not origin or not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
            raise NoteError(f"checkpoint size {size_s!r} is not a decimal")
        try:
            root = base64.b64decode(root_s, validate=True)
        except binascii.Error as exc:
            raise NoteError("checkpoint root is not base64") from exc
        if len(root) != 32:
            raise NoteError("checkpoint root is not 32 bytes")
        cp = cls(origin, int(size_s), root)
        if cp.text() != text:
            raise NoteError("checkpoint is not in canonical form")
        return cp


def sign_checkpoint(cp: Checkpoint, signer: Signer) -> Note:
    return sign_note(cp.text(), signer)


def open_checkpoint(data: str, log: Verifier) -> tuple[Checkpoint, Note]:
    """Parse a signed checkpoint and verify the log's signature on it."""
    note = parse_note(data)
    verify_note_signature(note, log)
    return Checkpoint.parse(note.text), note


# --- cosignatures --------------------------------------------------------------------------


def cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, signer: Signer, timestamp: int) -> Signature:
    """A witness's cosignature/v1 over the checkpoint ``text`` at ``timestamp`` (POSIX s)."""
    if signer.alg != ALG_COSIGNATURE_V1:
        raise CosignatureError("a cosigning key must have algorithm 0x04 (cosignature/v1)")
    if not 0 <= timestamp < 2**63:
        raise CosignatureError("timestamp out of range")
    v = signer.verifier
    sig = signer.private_key.sign(cosignature_message(text, timestamp))
    return Signature(v.name, v.key_id, struct.pack(">Q", timestamp) + sig)


def verify_cosignature(text: str, sig: Signature, witness: Verifier) -> int:
    """Verify a cosignature line on checkpoint ``text``; return its timestamp."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise CosignatureError(f"witness key {witness.name} is not a cosignature/v1 key")
    if sig.name != witness.name or sig.key_id != witness.key_id:
        raise CosignatureError(f"signature is not by witness {witness.name}")
    if len(sig.signature) != 72:
        raise CosignatureError(f"cosignature of {witness.name} is not 8+64 bytes")
    timestamp: int = struct.unpack(">Q", sig.signature[:8])[0]
    if timestamp >= 2**63:
        raise CosignatureError(f"cosignature of {witness.name} has an out-of-range time")
    try:
        witness.ed25519().verify(sig.signature[8:], cosignature_message(text, timestamp))
    except InvalidSignature as exc:
        raise CosignatureError(f"cosignature of {witness.name} is invalid") from exc
    return timestamp
