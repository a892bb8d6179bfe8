"""What this application instance holds, built once per worker: its settings, the PII
cipher, the keyed hasher and the log's signing key.

Services take these as arguments (``cipher=instance.pii()``, ``signer=instance.log_signer()``);
views read them from here.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from ledger.note import Signer
from ownervote.config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["ownervote.pii"] = PiiCipher.from_settings(settings)
    app.extensions["ownervote.hasher"] = KeyedHasher.from_settings(settings)


def settings() -> Settings:
    return current_app.config["OWNERVOTE"]


def pii() -> PiiCipher:
    return current_app.extensions["ownervote.pii"]


def hasher() -> KeyedHasher:
    return current_app.extensions["ownervote.hasher"]


def log_signer() -> Signer:
    """The log's Ed25519 signing key (loaded on first use; the file is mode 0600)."""
    signer = current_app.extensions.get("ownervote.log_signer")
    if signer is None:
        from ledger.keys import load_or_create_log_key, log_key_name

        s = settings()
        signer = load_or_create_log_key(Path(s.log_key_file), log_key_name(s.base_url))
        current_app.extensions["ownervote.log_signer"] = signer
    return signer
