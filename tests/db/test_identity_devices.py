"""Device keys in the database: enrolment, revocation on a new phone, SMS notice (the keys'
validation and the transfer rule: ``tests/unit/test_identity_devicekeys.py``)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from identity.errors import DeviceKeyError
from identity.keyed import KeyedHasher
from identity.pii import PiiCipher, account_phone_purpose
from identity.store import devices
from identity.store.models import DeviceKey, Owner, OwnerAccount
from identity.store.smsoutbox import OutboxSmsGateway, outbox
from tests.support.settings import settings_with

SETTINGS = settings_with()
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def spki(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def account(session):
    cipher = PiiCipher.from_settings(SETTINGS)
    owner = Owner(id_hash="a" * 64, id_type="resident_id", id_masked="3508**********0011",
                  name_enc=cipher.encrypt_text("陈明", purpose="owner.name:" + "a" * 64))
    session.add(owner)
    session.flush()
    acc = OwnerAccount(key="k" * 32, owner_id=owner.id, holder_kind="self",
                       holder_id_hash="a" * 64, phone_hash="p" * 64, phone_masked="138****5678",
                       phone_enc=cipher.encrypt_text("13812345678",
                                                     purpose=account_phone_purpose("k" * 32)))
    session.add(acc)
    session.commit()
    return acc


def test_enrol_revokes_the_old_phone_and_tells_the_owner(session, account) -> None:
    cipher = PiiCipher.from_settings(SETTINGS)
    gateway = OutboxSmsGateway(session, KeyedHasher.from_settings(SETTINGS))
    first_key = ec.generate_private_key(ec.SECP256R1())
    first = devices.enrol(session, account, spki(first_key), cipher=cipher, gateway=gateway,
                          now=T0)
    session.commit()
    assert first.key.id == hashlib.sha256(spki(first_key)).hexdigest() and first.revoked == ()
    assert outbox(session) == []  # a first phone needs no warning
    second = devices.enrol(session, account, spki(ec.generate_private_key(ec.SECP256R1())),
                           cipher=cipher, gateway=gateway, now=T0 + dt.timedelta(days=1))
    session.commit()
    assert second.revoked == (first.key.id,)
    old = session.get(DeviceKey, first.key.id)
    assert old.revoked_at == T0 + dt.timedelta(days=1) and old.revoke_reason == "replaced"
    assert devices.active_key(session, account.id).id == second.key.id
    notice = outbox(session)
    assert len(notice) == 1 and notice[0].phone_masked == "138****5678"
    assert "新手机" in notice[0].body
    assert devices.key_valid_at(old, T0 + dt.timedelta(hours=1))
    assert not devices.key_valid_at(old, T0 + dt.timedelta(days=2))
    # a signature by the enrolled key verifies with the stored public key
    signature = first_key.sign(b"ballot", ec.ECDSA(hashes.SHA256()))
    devices.public_key(old).verify(signature, b"ballot", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(DeviceKeyError, match="already enrolled"):
        devices.enrol(session, account, spki(first_key), cipher=cipher, gateway=gateway)
    devices.revoke(session, second.key.id, reason="lost phone", actor="staff:1")
    assert devices.active_key(session, account.id) is None
    account.revoked_at = T0
    with pytest.raises(DeviceKeyError, match="revoked"):
        devices.enrol(session, account, spki(ec.generate_private_key(ec.SECP256R1())),
                      cipher=cipher, gateway=gateway)
    assert len(session.scalars(select(DeviceKey)).all()) == 2
