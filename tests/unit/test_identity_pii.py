"""AES-GCM personal-data encryption: key ring, purposes, tampering (rotation of the stored
data: ``tests/db/test_identity_pii_rotation.py``)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.errors import PiiError
from identity.pii import PiiCipher

K1, K2 = ("k1", os.urandom(32)), ("k2", os.urandom(32))


@given(st.text(max_size=200), st.text(min_size=1, max_size=40))
def test_round_trip(text: str, purpose: str) -> None:
    c = PiiCipher([K1])
    blob = c.encrypt_text(text, purpose=purpose)
    assert c.decrypt_text(blob, purpose=purpose) == text
    assert PiiCipher.key_id_of(blob) == "k1"


def test_ciphertext_is_randomised_and_does_not_contain_the_text() -> None:
    c = PiiCipher([K1])
    a, b = (c.encrypt_text("张三明", purpose="owner.name:x") for _ in range(2))
    assert a != b
    assert "张三明".encode() not in a and "张三明".encode("gb18030") not in a


def test_wrong_purpose_or_tampering_fails() -> None:
    c = PiiCipher([K1])
    blob = c.encrypt_text("张三明", purpose="owner.name:aaa")
    with pytest.raises(PiiError, match="does not decrypt"):
        c.decrypt_text(blob, purpose="owner.name:bbb")  # moved to another row
    with pytest.raises(PiiError):
        c.decrypt_text(blob, purpose="account.phone:aaa")  # another field
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(PiiError):
        c.decrypt_text(flipped, purpose="owner.name:aaa")
    with pytest.raises(PiiError, match="version"):
        c.decrypt_text(b"\x02" + blob[1:], purpose="owner.name:aaa")
    with pytest.raises(PiiError, match="truncated"):
        c.decrypt_text(blob[:20], purpose="owner.name:aaa")


def test_first_key_encrypts_any_key_decrypts() -> None:
    old = PiiCipher([K1])
    blob = old.encrypt_text("13812345678", purpose="p")
    ring = PiiCipher([K2, K1])
    assert ring.decrypt_text(blob, purpose="p") == "13812345678"
    assert ring.needs_rotation(blob)
    assert PiiCipher.key_id_of(ring.encrypt_text("x", purpose="p")) == "k2"
    with pytest.raises(PiiError, match="no key 'k1'"):
        PiiCipher([K2]).decrypt_text(blob, purpose="p")


def test_ring_is_checked() -> None:
    with pytest.raises(ValueError):
        PiiCipher([])
    with pytest.raises(ValueError, match="32 bytes"):
        PiiCipher([("a", b"short")])
    with pytest.raises(ValueError, match="twice"):
        PiiCipher([K1, K1])
