"""Rotating the personal-data keys of stored rows (SQLite and PostgreSQL): owners' names and
staff TOTP secrets re-encrypted under the newest key."""

from __future__ import annotations

import os

from identity.pii import PiiCipher
from identity.store.pii_rotation import reencrypt_all
from tests.support.totp import fresh_code

K1, K2 = ("k1", os.urandom(32)), ("k2", os.urandom(32))


def test_reencrypt_all_rotates_every_owner_name(session) -> None:
    from sqlalchemy import select

    from identity.store.importer import import_extract
    from identity.store.models import Owner
    from identity.synthetic import demo_extract
    from tests.support.settings import settings_with

    old = settings_with(pii_keys=(K1,))
    import_extract(session, "轮换小区", demo_extract(3)[:40], settings=old)
    session.commit()
    new = PiiCipher([K2, K1])
    counts = reencrypt_all(session, new)
    session.commit()
    assert counts["owner.name_enc"] > 0
    only_new = PiiCipher([K2])
    for owner in session.scalars(select(Owner)):
        assert PiiCipher.key_id_of(owner.name_enc) == "k2"
        only_new.decrypt_text(owner.name_enc, purpose=f"owner.name:{owner.id_hash}")
    assert reencrypt_all(session, new)["owner.name_enc"] == 0  # idempotent


def test_reencrypt_all_covers_staff_totp_secrets(session) -> None:
    from identity.store.staff import authenticate, create_staff

    old = PiiCipher([K1])
    user, secret = create_staff(session, old, username="委员甲", password="long-enough-pw",
                                role="admin")
    session.commit()
    new = PiiCipher([K2, K1])
    counts = reencrypt_all(session, new)
    session.commit()
    assert counts["staff_user.totp_secret_enc"] == 1
    assert PiiCipher.key_id_of(user.totp_secret_enc) == "k2"

    assert authenticate(session, PiiCipher([K2]), "委员甲", "long-enough-pw",
                        fresh_code(secret)) is not None
