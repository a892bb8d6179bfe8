"""The group wrapper (ledger.secret.group): libsodium plus the identity and validation rules
of docs/secret-ballots.md §2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.secret.group import (
    IDENTITY,
    G,
    GroupError,
    L,
    base,
    decode_point,
    decode_scalar,
    hash_to_scalar,
    mul,
    scalar_hex,
)

scalars = st.integers(min_value=0, max_value=L - 1)


@given(scalars, scalars)
def test_scalar_multiplication_is_a_homomorphism(a: int, b: int) -> None:
    assert base(a) + base(b) == base(a + b)
    assert mul(a, base(b)) == base(a * b)
    assert base(a) - base(b) == base(a - b)


def test_the_identity_and_zero_are_handled_not_refused() -> None:
    p = base(7)
    assert mul(0, p) == IDENTITY and mul(L, p) == IDENTITY and mul(5, IDENTITY) == IDENTITY
    assert p - p == IDENTITY and IDENTITY + p == p and -G == base(L - 1)
    assert G.hex() == "58" + "66" * 31


def test_received_points_must_be_canonical_prime_order_and_not_the_identity() -> None:
    assert decode_point(base(9).hex(), "x") == base(9)
    small_order = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
    non_canonical = "ed" + "ff" * 30 + "7f"  # y = p: not reduced
    mixed = (base(3) + _point_of_order_8()).hex()  # on the curve, outside the subgroup
    for bad in (IDENTITY.hex(), small_order, non_canonical, mixed, base(9).hex().upper(),
                "00" * 31, 5, None):
        with pytest.raises(GroupError):
            decode_point(bad, "ballot.items.1.options[0].a")


def test_scalars_above_the_order_are_refused_not_reduced() -> None:
    assert decode_scalar(scalar_hex(L - 1), "z") == L - 1
    with pytest.raises(GroupError, match="not reduced"):
        decode_scalar(L.to_bytes(32, "little").hex(), "z")


def test_the_challenge_hash_frames_its_parts() -> None:
    assert hash_to_scalar("t", b"ab", b"c") != hash_to_scalar("t", b"a", b"bc")
    assert hash_to_scalar("t", b"x") != hash_to_scalar("u", b"x")
    assert 0 <= hash_to_scalar("t") < L


def _point_of_order_8():
    from ledger.secret.group import Point
    return Point(bytes.fromhex(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"))
