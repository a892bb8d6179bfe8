"""The stored-log tests' own helpers (``tests/support/sample_log.py``) do what they say."""

from __future__ import annotations

from tests.support.sample_log import device, signed_ballot


def test_signed_ballot_verifies() -> None:
    from ledger.ballots import verify_ballot_signature

    k, der, _ = device()
    payload, sig = signed_ballot("o/x/assembly/1", "h-0123456789abcdef", k, 1, {"1": "agree"})
    verify_ballot_signature(der, payload, sig)
