"""Helpers shared by the identity tests (settings with fixed keys, staff, fixture paths).

Named ``test_identity_*`` to live with the identity tests; it defines no tests itself.
"""

from __future__ import annotations

import base64
import tempfile
from dataclasses import replace
from pathlib import Path

from ownervote.config import load_settings

REGISTRY_DATA = Path(__file__).parent / "data" / "registry"
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


def make_staff(session, community_id: int, username: str, role: str = "committee"):  # type: ignore[no-untyped-def]
    from identity.store.models import StaffUser

    user = StaffUser(username=username, password_hash="x", role=role, community_id=community_id)
    session.add(user)
    session.flush()
    return user
