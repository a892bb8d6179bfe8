"""Settings with fixed test keys, for tests that need no database of their own.

``settings_with(**changes)``: ownervote Settings (``test`` environment, fixed secret,
ID-hash and personal-data keys); ``env_for(db_url)``: the same as environment
variables, for running the command line against a test database.  (Tests given a
database use the ``ov_settings`` fixture of ``tests/conftest.py`` instead.)
"""

from __future__ import annotations

import base64
import tempfile
from dataclasses import replace

from ownervote.config import load_settings

ID_KEY = b"test-id-hash-key-0123456789abcdef"
PII_KEY = ("t1", bytes(range(32)))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def settings_with(**changes):  # type: ignore[no-untyped-def]
    """Settings for tests: fixed keys, ``test`` environment, no SMS URL."""
    base = load_settings({
        "OWNERVOTE_ENV": "test",
        "OWNERVOTE_INSTANCE_DIR": tempfile.gettempdir(),
        "OWNERVOTE_SECRET_KEY": _b64(b"s" * 32),
        "OWNERVOTE_ID_HASH_KEY": _b64(ID_KEY),
        "OWNERVOTE_PII_KEYS": f"{PII_KEY[0]}:{_b64(PII_KEY[1])}",
    })
    return replace(base, **changes)


def env_for(db_url: str) -> dict[str, str]:
    """Environment for running the CLI against ``db_url`` with the test keys."""
    return {
        "OWNERVOTE_ENV": "test",
        "OWNERVOTE_INSTANCE_DIR": tempfile.gettempdir(),
        "OWNERVOTE_DATABASE_URL": db_url,
        "OWNERVOTE_SECRET_KEY": _b64(b"s" * 32),
        "OWNERVOTE_ID_HASH_KEY": _b64(ID_KEY),
        "OWNERVOTE_PII_KEYS": f"{PII_KEY[0]}:{_b64(PII_KEY[1])}",
    }
