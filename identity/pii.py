"""Encryption of personal data at rest: AES-256-GCM under a key ring (``Settings.pii_keys``).

Ciphertext layout (bytes)::

    0x01 | len(kid) (1 byte) | kid (ASCII) | nonce (12 bytes) | AES-GCM ciphertext + tag (16)

The associated data is ``b"ownervote/pii/v1\\x00" + kid + b"\\x00" + purpose``, where
``purpose`` names the field and the row it belongs to (``owner.name:<id hash>``,
``account.phone:<account id hash>``, ``staff.totp:<staff id>`` …).  A ciphertext
copied into another row or another field therefore fails to decrypt instead
of silently showing the wrong person's data.

The first key of the ring encrypts; any key decrypts (looked up by the kid in
the ciphertext).  Rotation: put a new key first in ``OWNERVOTE_PII_KEYS``,
run :func:`identity.store.pii_rotation.reencrypt_all` (``ownervote keys
rotate-pii``), then drop the old key.  See docs/personal-data.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from identity.errors import PiiError

VERSION = 1
_AAD_PREFIX = b"ownervote/pii/v1\x00"


class PiiCipher:
    """AES-256-GCM with a key ring: ``keys[0]`` encrypts, every key decrypts."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]) -> None:
        ring = [(kid, key) for kid, key in keys]
        if not ring:
            raise ValueError("the personal-data key ring is empty")
        self._ring: dict[str, AESGCM] = {}
        for kid, key in ring:
            if not kid.isascii() or not kid or len(kid) > 255:
                raise ValueError(f"key id {kid!r} must be 1-255 ASCII characters")
            if len(key) != 32:
                raise ValueError(f"key {kid!r} must be 32 bytes (AES-256)")
            if kid in self._ring:
                raise ValueError(f"key id {kid!r} appears twice in the ring")
            self._ring[kid] = AESGCM(key)
        self.primary_kid = ring[0][0]

    @classmethod
    def from_settings(cls, settings: Any) -> PiiCipher:
        """Build from :class:`ownervote.config.Settings` (``settings.pii_keys``)."""
        return cls(settings.pii_keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ring)

    @staticmethod
    def _aad(kid: bytes, purpose: str) -> bytes:
        return _AAD_PREFIX + kid + b"\x00" + purpose.encode("utf-8")

    def encrypt(self, plaintext: bytes, *, purpose: str) -> bytes:
        kid = self.primary_kid.encode("ascii")
        nonce = os.urandom(12)
        sealed = self._ring[self.primary_kid].encrypt(nonce, plaintext, self._aad(kid, purpose))
        return bytes([VERSION, len(kid)]) + kid + nonce + sealed

    def decrypt(self, blob: bytes, *, purpose: str) -> bytes:
        kid, nonce, sealed = self._split(blob)
        aead = self._ring.get(kid.decode("ascii"))
        if aead is None:
            raise PiiError(f"no key {kid.decode('ascii')!r} in the personal-data key ring")
        try:
            return aead.decrypt(nonce, sealed, self._aad(kid, purpose))
        except InvalidTag:
            raise PiiError(
                f"personal data for {purpose.split(':')[0]!r} does not decrypt: tampered, "
                "moved from another row, or encrypted under another key"
            ) from None

    def encrypt_text(self, text: str, *, purpose: str) -> bytes:
        return self.encrypt(text.encode("utf-8"), purpose=purpose)

    def decrypt_text(self, blob: bytes, *, purpose: str) -> str:
        return self.decrypt(blob, purpose=purpose).decode("utf-8")

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return PiiCipher._split(blob)[0].decode("ascii")

    @staticmethod
    def _split(blob: bytes) -> tuple[bytes, bytes, bytes]:
        if len(blob) < 2 or blob[0] != VERSION:
            raise PiiError("not an ownervote personal-data ciphertext (bad version byte)")
        n = blob[1]
        if len(blob) < 2 + n + 12 + 16:
            raise PiiError("personal-data ciphertext is truncated")
        return blob[2 : 2 + n], blob[2 + n : 14 + n], blob[14 + n :]

    def needs_rotation(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self.primary_kid


# --- purposes (associated data) -------------------------------------------------------------


def owner_name_purpose(id_hash: str) -> str:
    return f"owner.name:{id_hash}"


def account_phone_purpose(account_key: str) -> str:
    return f"account.phone:{account_key}"


def person_name_purpose(kind: str, key: str) -> str:
    """Names of people outside the registry (review requests, representatives)."""
    return f"{kind}.name:{key}"


def proxy_name_purpose(assembly_id: int, agent_ref: str) -> str:
    """A proxy agent's name, bound to the assembly and the agent's pseudonym."""
    return person_name_purpose("proxy", f"{assembly_id}:{agent_ref}")
