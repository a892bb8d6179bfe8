"""Device keys: P-256 SPKI validation; and the transfer-during-a-vote rule (enrolment in the
database: ``tests/db/test_identity_devices.py``)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from identity import devicekeys, transfer
from identity.errors import DeviceKeyError


def spki(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


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
