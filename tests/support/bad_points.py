"""Encodings a received point must be refused for (docs/secret-ballots.md §2.3), each named
for its reason: shared by the group's unit tests, the ballot's fast-path test and the
browser's cross-check."""

from __future__ import annotations

FIELD_P = 2**256 - 2**32 - 977  # secp256k1's field prime
G_X = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"  # x of G

BAD_POINTS = {
    "the identity": "00" * 33,
    "x = 5 is on no point of the curve": "02" + (5).to_bytes(32, "big").hex(),
    "x = p + 1: not reduced (the point with x = 1, non-canonically)":
        "02" + (FIELD_P + 1).to_bytes(32, "big").hex(),
    "x = p": "03" + FIELD_P.to_bytes(32, "big").hex(),
    "prefix 04 on 33 bytes": "04" + G_X,
    "prefix 00 with G's x": "00" + G_X,
    "32 bytes": G_X,
}
