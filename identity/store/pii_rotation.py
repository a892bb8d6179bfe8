"""Rotating the personal-data key ring: re-encrypt every ciphertext under the newest key.

Put a new key first in ``OWNERVOTE_PII_KEYS``, run :func:`reencrypt_all`
(``ownervote keys rotate-pii``), then drop the old key.  See docs/personal-data.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.credentials import totp_purpose
from identity.pii import (
    PiiCipher,
    account_phone_purpose,
    owner_name_purpose,
    person_name_purpose,
    proxy_name_purpose,
)
from identity.store import models as m
from ownervote.db import Base
from voting.store.models import Proxy


@dataclass(frozen=True)
class EncryptedColumn:
    """One column holding :class:`PiiCipher` ciphertexts and how to rebuild its purpose."""

    model: type[Base]
    attribute: str
    purpose: Callable[[Any], str]

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.attribute}"




def encrypted_columns() -> list[EncryptedColumn]:
    """Every column holding personal-data ciphertexts."""
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
    proxies = [EncryptedColumn(Proxy, "agent_name_enc",
                               lambda r: proxy_name_purpose(r.assembly_id, r.agent_ref))]
    return own + proxies


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
