"""The group wrapper (ledger.secret.group): libsecp256k1 plus the identity and validation rules
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
from tests.support.bad_points import BAD_POINTS

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
    assert -IDENTITY == IDENTITY and IDENTITY - p == -p and base(0) == IDENTITY
    assert G.hex() == "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    assert IDENTITY.hex() == "00" * 33


def test_received_points_must_be_compressed_points_of_the_curve_not_the_identity() -> None:
    assert decode_point(base(9).hex(), "x") == base(9)
    assert decode_point("02" + (1).to_bytes(32, "big").hex(), "x")  # x = 1 is on the curve
    for bad in (*BAD_POINTS.values(), base(9).hex().upper(), base(9).encoding.hex()[:-2],
                base(9).hex() + "00", 5, None):
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
