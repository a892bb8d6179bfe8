"""Private files of the committee: paper-ballot scans and written proxies.

They show owners' names and signatures, so they are personal data: stored
encrypted (AES-GCM with the server's personal-data key ring, bound to the
assembly and the file's SHA-256) under the instance folder, in
``private/<assembly id>/<kind>/<sha256>``.  The ledger records only the
SHA-256, which anyone holding the paper original can recompute.  The folder
must live on persistent storage that is backed up like the database.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from web import instance

KINDS = ("scan", "proxy", "transfer")
MAX_BYTES = 10 * 1024 * 1024
# The types a phone camera or a scanner produces.
ALLOWED_TYPES = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff",
                 "image/png": b"\x89PNG\r\n\x1a\n"}


class VaultError(ValueError):
    """The file cannot be stored or read; the message is for the committee member."""


def sniff(content: bytes) -> str | None:
    """The file type from its first bytes (the browser's claim is not trusted)."""
    for mime, magic in ALLOWED_TYPES.items():
        if content.startswith(magic):
            return mime
    return None


def _path(assembly_id: int, kind: str, sha256: str) -> Path:
    if kind not in KINDS or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise VaultError("not a stored file")
    return Path(instance.settings().instance_dir) / "private" / str(assembly_id) / kind / sha256


def _purpose(assembly_id: int, kind: str, sha256: str) -> str:
    return f"committee.{kind}:{assembly_id}:{sha256}"


def put(assembly_id: int, kind: str, content: bytes) -> tuple[str, str]:
    """Store ``content``; returns ``(sha256 hex, mime)``.  Storing the same file twice is one."""
    mime = sniff(content)
    if not content or len(content) > MAX_BYTES or mime is None:
        raise VaultError("bad file")
    sha = hashlib.sha256(content).hexdigest()
    path = _path(assembly_id, kind, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        sealed = instance.pii().encrypt(content, purpose=_purpose(assembly_id, kind, sha))
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(sealed)
        os.replace(tmp, path)
    return sha, mime


def get(assembly_id: int, kind: str, sha256: str) -> tuple[bytes, str]:
    """The file and its type, checked against its SHA-256."""
    path = _path(assembly_id, kind, sha256)
    if not path.exists():
        raise VaultError("not a stored file")
    content = instance.pii().decrypt(path.read_bytes(),
                                     purpose=_purpose(assembly_id, kind, sha256))
    if hashlib.sha256(content).hexdigest() != sha256:
        raise VaultError("the stored file does not match its hash")
    return content, sniff(content) or "application/octet-stream"
