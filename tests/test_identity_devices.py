"""Device keys: P-256 SPKI validation, enrolment, revocation on a new phone, SMS notice;
and the transfer-during-a-vote rule."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from identity import devicekeys, transfer
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


def test_p256_keys_only() -> None:
    good = spki(ec.generate_private_key(ec.SECP256R1()))
    assert devicekeys.load_p256(good).curve.name == "secp256r1"
    for other in (spki(ec.generate_private_key(ec.SECP384R1())),
                  spki(ed25519.Ed25519PrivateKey.generate())):
        with pytest.raises(DeviceKeyError, match="P-256"):
            devicekeys.load_p256(other)
    with pytest.raises(DeviceKeyError):
        devicekeys.load_p256(spki(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(DeviceKeyError, match="not a valid SPKI"):
        devicekeys.load_p256(b"\x30\x03\x02\x01\x01")
    with pytest.raises(DeviceKeyError):
        devicekeys.load_p256(b"")
    point = bytearray(good)
    point[-1] ^= 1  # almost certainly off the curve
    with pytest.raises(DeviceKeyError):
        devicekeys.load_p256(bytes(point))


def test_compressed_points_are_not_canonical() -> None:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    compressed = key.public_bytes(serialization.Encoding.X962,
                                  serialization.PublicFormat.CompressedPoint)
    prefix = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200")
    der = prefix + compressed
    assert load_der_public_key(der).public_numbers() == key.public_numbers()
    with pytest.raises(DeviceKeyError, match="canonical"):
        devicekeys.load_p256(der)


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


# --- transfer during a vote ---------------------------------------------------------------

times = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 1, 3),
                     timezones=st.just(dt.UTC))


@given(times, st.lists(times, max_size=5))
def test_seller_ballot_before_transfer_stands_else_buyer_votes(transferred, ballots) -> None:
    decision = transfer.decide(transferred, ballots)
    before = [t for t in ballots if t < transferred]
    if before:
        assert decision.voter == "seller" and decision.seller_ballot == max(before)
    else:
        assert decision.voter == "buyer" and decision.seller_ballot is None
    assert sorted(decision.void) == sorted(t for t in ballots if t >= transferred)
    later = transferred + dt.timedelta(minutes=1)
    assert transfer.may_cast("buyer", later, transferred, ballots)[0] == (not before)
    assert not transfer.may_cast("seller", transferred, transferred, ballots)[0]


def test_transfer_examples() -> None:
    t = dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)
    assert transfer.decide(t, [t]).voter == "buyer"  # "before" is strict
    assert transfer.may_cast("buyer", t - dt.timedelta(seconds=1), t, []) == (
        False, "transfer_not_yet_effective")
    assert transfer.may_cast("buyer", t, t, [t - dt.timedelta(hours=1)]) == (
        False, transfer.SELLER_VOTED)
    assert transfer.may_cast("seller", t - dt.timedelta(hours=1), t, []) == (
        True, "seller_before_transfer")
