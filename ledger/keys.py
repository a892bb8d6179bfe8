"""Key files: the log's Ed25519 signing key and witnesses' cosigning keys.

A key file holds one line in the signed-note "skey" form used by Go's
``golang.org/x/mod/sumdb/note``::

    PRIVATE+KEY+<name>+<hex key id>+<base64(alg byte || 32-byte Ed25519 seed)>

with alg ``0x01`` for a log (note) key and ``0x04`` for a witness's
cosignature/v1 key.  Files are created with mode 0600 and refused when group or
others can read them.

Rotation (``ownervote keys rotate-log``): the current file is renamed to
``<file>.<key id>.retired`` (kept, still 0600) and a new key is written in its
place.  Logs created afterwards use the new key; a log keeps signing with the
key recorded in its first entry, found among the retired files, until it is
closed.  Never delete a retired key while one of its logs is open.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import KeyFileError
from ledger.note import ALG_COSIGNATURE_V1, ALG_ED25519, Signer, note_key_id

DEFAULT_HOST = "ownervote.example"


def host_from_base_url(base_url: str | None) -> str:
    """Host (and path) of the configured base URL without scheme; the default otherwise."""
    if not base_url:
        return DEFAULT_HOST
    parts = urlsplit(base_url if "//" in base_url else "//" + base_url)
    host = (parts.netloc + parts.path).rstrip("/")
    return host or DEFAULT_HOST


def log_key_name(base_url: str | None) -> str:
    return f"{host_from_base_url(base_url)}/log"


def log_origin(base_url: str | None, community_slug: str, assembly_id: int) -> str:
    """``<host>/<community-slug>/assembly/<id>``: the origin line of an assembly's log."""
    slug = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in community_slug
    )
    return f"{host_from_base_url(base_url)}/{slug.strip('-') or 'community'}/assembly/{assembly_id}"


def _raw_seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def format_skey(signer: Signer) -> str:
    seed = _raw_seed(signer.private_key)
    kid = note_key_id(signer.name, signer.alg, _raw_public(signer.private_key)).hex()
    b64 = base64.b64encode(bytes([signer.alg]) + seed).decode()
    return f"PRIVATE+KEY+{signer.name}+{kid}+{b64}\n"


def parse_skey(text: str, where: str = "key") -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise KeyFileError(f"{where}: not a PRIVATE+KEY+name+id+key line")
    name, hexid, b64 = parts[2:]
    try:
        raw = base64.b64decode(b64, validate=True)
    except binascii.Error as exc:
        raise KeyFileError(f"{where}: key is not base64") from exc
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise KeyFileError(f"{where}: not an Ed25519 key (0x01 or 0x04)")
    private = Ed25519PrivateKey.from_private_bytes(raw[1:])
    signer = Signer(name, private, raw[0])
    if note_key_id(name, raw[0], _raw_public(private)).hex() != hexid:
        raise KeyFileError(f"{where}: key id {hexid} does not match the key")
    return signer


def write_key_file(path: Path, signer: Signer) -> None:
    """Write ``signer`` to a new file with mode 0600 (never overwrites)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists") from exc
    with os.fdopen(fd, "w") as fh:
        fh.write(format_skey(signer))
        fh.flush()
        os.fsync(fh.fileno())


def load_key_file(path: Path) -> Signer:
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path} does not exist") from exc
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path} is accessible by group or others (mode {stat.filemode(st.st_mode)}); "
            "chmod 600 it"
        )
    return parse_skey(path.read_text(), str(path))


def generate(name: str, alg: int = ALG_ED25519) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate(), alg)


def load_or_create_log_key(path: Path | str, name: str | None = None) -> Signer:
    """Load the log key at ``path``; create it (mode 0600) named ``name`` if missing."""
    path = Path(path)
    if not path.exists():
        write_key_file(path, generate(name or log_key_name(None), ALG_ED25519))
    signer = load_key_file(path)
    if signer.alg != ALG_ED25519:
        raise KeyFileError(f"{path} is not a log (0x01) key")
    return signer


def rotate_log_key(path: Path | str, name: str | None = None) -> tuple[Signer, Path]:
    """Retire the current log key (renamed, kept) and create a new one; see module doc."""
    path = Path(path)
    old = load_key_file(path)
    retired = path.with_name(f"{path.name}.{old.verifier.key_id.hex()}.retired")
    os.rename(path, retired)
    return load_or_create_log_key(path, name or old.name), retired


def load_key_ring(path: Path | str) -> dict[str, Signer]:
    """The current log key and every retired one beside it, by vkey."""
    path = Path(path)
    ring: dict[str, Signer] = {}
    for p in [path, *sorted(path.parent.glob(f"{path.name}.*.retired"))]:
        if p.exists():
            s = load_key_file(p)
            ring[s.verifier.vkey] = s
    return ring
