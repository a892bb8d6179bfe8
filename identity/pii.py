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
run :func:`reencrypt_all` (``ownervote keys rotate-pii``), then drop the old
key.  See docs/personal-data.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

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


# --- rotation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    """One column holding :class:`PiiCipher` ciphertexts and how to rebuild its purpose."""

    model: type
    attribute: str
    purpose: Callable[[Any], str]

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.attribute}"  # type: ignore[attr-defined]


_EXTRA_COLUMNS: list[EncryptedColumn] = []


def register_encrypted_column(model: type, attribute: str, purpose: Callable[[Any], str]) -> None:
    """Let :func:`reencrypt_all` rotate a column another package owns (e.g. proxy names)."""
    column = EncryptedColumn(model, attribute, purpose)
    if all(c.name != column.name for c in _EXTRA_COLUMNS):
        _EXTRA_COLUMNS.append(column)


def encrypted_columns() -> list[EncryptedColumn]:
    """Every column holding personal-data ciphertexts, identity's own and registered ones."""
    from identity import models as m
    from identity.staff import totp_purpose

    own = [
        EncryptedColumn(m.Owner, "name_enc", lambda r: owner_name_purpose(r.id_hash)),
        EncryptedColumn(m.OwnerAccount, "phone_enc", lambda r: account_phone_purpose(r.key)),
        EncryptedColumn(m.OwnerAccount, "holder_name_enc",
                        lambda r: person_name_purpose("holder", r.key)),
        EncryptedColumn(m.Verification, "phone_enc",
                        lambda r: f"verification.phone:{r.token_hash}"),
        EncryptedColumn(m.Verification, "holder_name_enc",
                        lambda r: f"verification.holder:{r.token_hash}"),
        EncryptedColumn(m.ReviewRequest, "person_name_enc",
                        lambda r: person_name_purpose("review", r.reference)),
        EncryptedColumn(m.ReviewEvidence, "content_enc",
                        lambda r: f"evidence.content:{r.request_id}:{r.sha256}"),
        EncryptedColumn(m.ReviewEvidence, "filename_enc",
                        lambda r: f"evidence.filename:{r.request_id}:{r.sha256}"),
        EncryptedColumn(m.Representation, "name_enc",
                        lambda r: person_name_purpose("representative", r.reference)),
        EncryptedColumn(m.StaffUser, "display_name_enc", lambda r: f"staff.name:{r.username}"),
        EncryptedColumn(m.StaffUser, "totp_secret_enc", lambda r: totp_purpose(r.username)),
    ]
    return own + _EXTRA_COLUMNS


def reencrypt_all(session: Session, cipher: PiiCipher, *, batch: int = 1000) -> dict[str, int]:
    """Re-encrypt every ciphertext not under the primary key; return counts per column.

    Idempotent and restartable: rows already under the primary key are left
    alone, and each batch is flushed as it goes.  The caller commits (one
    transaction, so a failure leaves every row readable under the old ring).
    """
    counts: dict[str, int] = {}
    for column in encrypted_columns():
        attr = getattr(column.model, column.attribute)
        done = 0
        rows: Any = session.scalars(select(column.model).where(attr.is_not(None)).execution_options(
            yield_per=batch))
        for row in rows:
            blob = getattr(row, column.attribute)
            if not cipher.needs_rotation(blob):
                continue
            purpose = column.purpose(row)
            setattr(row, column.attribute,
                    cipher.encrypt(cipher.decrypt(blob, purpose=purpose), purpose=purpose))
            done += 1
            if done % batch == 0:
                session.flush()
        session.flush()
        counts[column.name] = done
    return counts
