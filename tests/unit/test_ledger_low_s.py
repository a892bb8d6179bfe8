"""ECDSA signatures are accepted only in their low-S form (s <= n/2).

For every valid P-256 signature (r, s), (r, n - s) verifies too.  Were both accepted,
anyone relaying a signed ballot could land it a second time as different bytes — another
entry hash, another tracker code — or first, so that the owner's own ballot meets
``seq_conflict``.  The signature checks of the server and of the offline verifier are
the same functions (``ledger.ballots``); this module pins the rule with a fixed vector
and checks both the server's and the verifier's paths, for ballots and committee entries.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import canonical, keys, synthetic
from ledger.ballots import (
    P256_HALF_ORDER,
    ballot_payload,
    key_id,
    load_official_key,
    low_s,
    new_nonce,
    sign_p256,
    signing_message,
    spki,
    verify_ballot_signature,
    verify_signed,
)
from ledger.entries import signed_message
from ledger.errors import Refusal, SignatureError
from ledger.kinds import BALLOT, PAPER_BALLOT
from ledger.memlog import MemLog
from ledger.verifier import verify_bundle

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# -- the test vector ----------------------------------------------------------------------------
# A P-256 key (private scalar below), the ballot it signs, and one signature in both forms.
VECTOR_PRIVATE = 0x6F776E6572766F7465206869676820532074657374
VECTOR_SPKI = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQsCHGx0u7fzI9V2fuYJ2RCSbK5WmlWRCL55EzcHPtrLk"
               "ZejuTyR1E0QlEjcBtyiWPMlqRV7a1zSNxwBUpCB9ng")
VECTOR_PAYLOAD = {"choices": {"1": "agree"}, "head": "h-0123456789abcdef",
                  "key": hashlib.sha256(canonical.unb64url(VECTOR_SPKI, "spki")).hexdigest(),
                  "nonce": "AAAAAAAAAAAAAAAAAAAAAA", "origin": "vote.example.cn/zp/assembly/7",
                  "seq": 1}
#: r || s with s <= n/2: accepted
VECTOR_LOW_S = bytes.fromhex(
    "cb9ed0fe65f286d16da32f7f2a09020c324577b64b268a7f00d41c3e0a5d94b9"
    "2ece5f9031ef0fd29505b2f934a92a6d2b9c8f99f662aa4c47f1cf47f2775b7f")
#: the same r with n - s: a valid ECDSA signature, refused because it is high-S
VECTOR_HIGH_S = bytes.fromhex(
    "cb9ed0fe65f286d16da32f7f2a09020c324577b64b268a7f00d41c3e0a5d94b9"
    "d131a06ece10f02e6afa4d06cb56d592914a6b13b0b4f438abc7fb7b09ebc9d2")


def _high(sig: bytes) -> bytes:
    """The other form of a low-S signature: (r, n - s)."""
    return sig[:32] + (N - int.from_bytes(sig[32:], "big")).to_bytes(32, "big")


def test_the_vector_key_and_forms() -> None:
    key = ec.derive_private_key(VECTOR_PRIVATE, ec.SECP256R1())
    der = spki(key.public_key())
    assert canonical.b64url(der) == VECTOR_SPKI and key_id(der) == VECTOR_PAYLOAD["key"]
    assert int.from_bytes(VECTOR_LOW_S[32:], "big") <= P256_HALF_ORDER
    assert int.from_bytes(VECTOR_HIGH_S[32:], "big") > P256_HALF_ORDER
    assert _high(VECTOR_LOW_S) == VECTOR_HIGH_S and low_s(VECTOR_HIGH_S) == VECTOR_LOW_S
    assert low_s(VECTOR_LOW_S) == VECTOR_LOW_S
    # Both forms are mathematically valid ECDSA signatures of the same message...
    digest = hashlib.sha256(signing_message(VECTOR_PAYLOAD)).digest()
    for sig in (VECTOR_LOW_S, VECTOR_HIGH_S):
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        key.public_key().verify(encode_dss_signature(r, s), digest,
                                ec.ECDSA(Prehashed(hashes.SHA256())))


def test_a_high_s_ballot_signature_is_refused() -> None:
    der = canonical.unb64url(VECTOR_SPKI, "spki")
    verify_ballot_signature(der, VECTOR_PAYLOAD, VECTOR_LOW_S)
    # ...but the log accepts only the low-S one.
    with pytest.raises(SignatureError, match="low-S") as refused:
        verify_ballot_signature(der, VECTOR_PAYLOAD, VECTOR_HIGH_S)
    assert refused.value.code is Refusal.BAD_SIGNATURE


def test_a_high_s_committee_signature_is_refused() -> None:
    member = ec.generate_private_key(ec.SECP256R1())
    key = load_official_key(spki(member.public_key()))
    message = b"ownervote/paper-ballot/v1\n{}"
    sig = sign_p256(member, message)
    verify_signed(key, message, sig)
    with pytest.raises(SignatureError, match="low-S"):
        verify_signed(key, message, _high(sig))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_our_python_signer_always_signs_low_s(message: bytes) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    sig = sign_p256(key, message)
    assert int.from_bytes(sig[32:], "big") <= P256_HALF_ORDER


# -- the offline verifier -----------------------------------------------------------------------

LOG = keys.generate("ownervote.example/log")
ORIGIN = "ownervote.example/demo/assembly/1"


def _bundle(path: Path, *, high_ballot: bool, high_paper: bool) -> Path:
    """A closed log with one phone ballot and one paper ballot, either signed high-S."""
    rdata, heads = synthetic.roster(4, None)
    log = MemLog(LOG, ORIGIN, synthetic.assembly_doc(items=1), rdata,
                 synthetic.OPENS - 3_600_000)
    member = ec.generate_private_key(ec.SECP256R1())
    official = log.enroll_official(spki(member.public_key()), "staff-1")
    phone = ec.generate_private_key(ec.SECP256R1())
    log.enroll_key(heads[0], spki(phone.public_key()), time_ms=synthetic.OPENS + 1000)
    ballot = ballot_payload(ORIGIN, heads[0], key_id(spki(phone.public_key())), 1,
                            {"1": "agree"}, new_nonce())
    sig = sign_p256(phone, signed_message(BALLOT, ballot))
    log.signed(BALLOT, ballot, _high(sig) if high_ballot else sig, synthetic.OPENS + 2000)
    paper = {"origin": ORIGIN, "official": official, "nonce": new_nonce(), "head": heads[1],
             "seq": 1, "choices": {"1": "oppose"}, "scan_sha256": "cd" * 32}
    sig = sign_p256(member, signed_message(PAPER_BALLOT, paper))
    log.signed(PAPER_BALLOT, paper, _high(sig) if high_paper else sig, synthetic.OPENS + 3000)
    log.close(synthetic.CLOSES)
    return log.write_bundle(path)


def _signature_failures(path: Path) -> list[str]:
    report = verify_bundle(path, workers=1, log_key=LOG.verifier.vkey)
    return report.checks.get("entries: signatures", [])


def test_the_verifier_refuses_high_s_ballots_and_committee_entries(tmp_path: Path) -> None:
    assert _signature_failures(_bundle(tmp_path / "low.zip", high_ballot=False,
                                       high_paper=False)) == []
    ballot = _signature_failures(_bundle(tmp_path / "b.zip", high_ballot=True, high_paper=False))
    assert len(ballot) == 1 and "low-S" in ballot[0], ballot
    paper = _signature_failures(_bundle(tmp_path / "p.zip", high_ballot=False, high_paper=True))
    assert len(paper) == 1 and "low-S" in paper[0], paper

