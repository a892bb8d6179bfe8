"""Keys the service signs with or decrypts with: the log signing key and the personal-data keys.

* :func:`log_signer` is the current log key (created, mode 0600, when missing); a log
  keeps signing with the key recorded in its entry 0, which :func:`log_signer_for`
  finds among the current and retired key files (:func:`ledger.keys.load_key_ring`);
* :func:`rotate_pii` re-encrypts every ciphertext under the first key of
  ``OWNERVOTE_PII_KEYS``, in one unit of work (a failure leaves every row readable
  under the old ring).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from identity.pii import PiiCipher
from identity.store.pii_rotation import reencrypt_all
from ledger.errors import KeyFileError
from ledger.keys import load_key_ring, load_or_create_log_key, log_key_name
from ledger.note import Signer
from ledger.store.logstore import get_head
from ownervote.services.unit_of_work import writing


def log_signer(settings: Any) -> Signer:
    """The current log signing key (created when missing)."""
    return load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))


def signer_in(ring: dict[str, Signer], session: Session, assembly_id: int,
              settings: Any) -> Signer:
    """The key of ``ring`` that signs the log of ``assembly_id``."""
    vkey = get_head(session, assembly_id).log_vkey
    if vkey not in ring:
        raise KeyFileError(f"no key file beside {settings.log_key_file} holds {vkey} "
                           f"(the key of the log of assembly {assembly_id})")
    return ring[vkey]


def log_ring(settings: Any) -> dict[str, Signer]:
    """Every log key, current and retired, by verifier key."""
    log_signer(settings)
    return load_key_ring(settings.log_key_file)


def log_signer_for(session: Session, settings: Any, assembly_id: int) -> Signer:
    """The key (current or retired) that signs the log of ``assembly_id`` (a read)."""
    return signer_in(log_ring(settings), session, assembly_id, settings)


def rotate_pii(session: Session, settings: Any) -> dict[str, int]:
    """Re-encrypt personal data under the primary key; counts per column."""
    with writing(session):
        return reencrypt_all(session, PiiCipher.from_settings(settings))
