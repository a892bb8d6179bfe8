"""The verifier replays a secret assembly (docs/audit-bundle.md §5.2, §6.1): its ceremony
right after entry 0 and final, every secret ballot's proofs against the joint key, the
ballot's mode; a tampered proof, a moved ballot or a ballot of the wrong mode is named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ledger import keys, synthetic
from ledger.ballots import ballot_payload, key_id, sign_p256, signing_message, spki
from ledger.kinds import BALLOT
from ledger.memlog import MemLog
from ledger.verifier import verify_bundle
from tests.support import secret_log
from tests.support.secret_log import ORIGIN, encrypted_payload
from tests.support.trustees import full_ceremony

LOG = keys.generate("ownervote.example/log")


def verify(s: secret_log.SecretLog, tmp_path: Path) -> list[str]:
    """The rules' failures of the closed log's bundle (the same with 1 and 2 workers: the
    workers check the proofs with the first pass's hint, the replay with its own key)."""
    s.log.close(synthetic.CLOSES)
    s.log.checkpoint()
    path = s.log.write_bundle(tmp_path / "b.zip", [])
    found = rules(verify_bundle(path, workers=1))
    assert rules(verify_bundle(path, workers=2)) == found
    return found


def rules(report: Any) -> list[str]:
    return [f for name, fails in report.checks.items() if name.startswith("rules")
            for f in fails]


def open_log(**kw: Any) -> secret_log.SecretLog:
    return secret_log.build(LOG, close=False, votes=(), **kw)


def cast(s: secret_log.SecretLog, payload: dict[str, Any], h: int) -> None:
    s.log.signed(BALLOT, payload, sign_p256(s.device(h), signing_message(payload)),
                 synthetic.OPENS + 10)


def test_a_secret_bundle_verifies_and_holds_no_choice(tmp_path: Path) -> None:
    s = secret_log.build(LOG, votes=[(0, {"1": "agree"}), (1, {"1": "oppose", "2": "abstain"}),
                                     (0, {"2": "agree"})])
    report = verify_bundle(s.log.write_bundle(tmp_path / "b.zip", []), workers=2)
    assert report.valid, report.checks
    assert report.info["ballots"] == 3 and report.info["heads_voted"] == 2
    text = b"\n".join(s.log.entries)
    assert b'"choices"' not in text and b"agree" not in text and b"oppose" not in text


def test_a_tampered_proof_is_named(tmp_path: Path) -> None:
    s = open_log()
    payload, _ = encrypted_payload(s.device(0), s.ceremony.key, ORIGIN, s.heads[0], 1,
                                   s.shapes, {"1": "agree"})
    z = payload["encrypted"]["1"]["options"][1]["proof"]["z"]
    z[0] = ("1" if z[0][0] != "1" else "2") + z[0][1:]
    cast(s, payload, 0)
    failures = verify(s, tmp_path)
    assert any("bad_option_proof" in f or "not proved" in f for f in failures), failures
    assert any("item" in f or "options[1]" in f for f in failures), failures


@pytest.mark.parametrize("move", ["head", "seq"])
def test_a_ballot_moved_to_another_head_or_seq_is_refused(move: str, tmp_path: Path) -> None:
    s = open_log()
    made, _ = encrypted_payload(s.device(1), s.ceremony.key, ORIGIN, s.heads[1], 1, s.shapes,
                                {"1": "agree"})
    if move == "head":  # head 0 re-signs head 1's ciphertexts and proofs as its own
        h, seq = 0, 1
    else:  # the same head's ballot 1 replayed as ballot 2
        cast(s, made, 1)
        h, seq = 1, 2
    payload = dict(made, head=s.heads[h], seq=seq,
                   key=key_id(spki(s.device(h).public_key())))
    cast(s, payload, h)
    failures = verify(s, tmp_path)
    assert any("proof" in f and f"head {s.heads[h]}" in f for f in failures), failures


def test_an_open_ballot_in_a_secret_assembly_is_refused(tmp_path: Path) -> None:
    s = open_log()
    payload = ballot_payload(ORIGIN, s.heads[0], key_id(spki(s.device(0).public_key())), 1,
                             {"1": "agree"}, "AAAAAAAAAAAAAAAAAAAAAA")
    cast(s, payload, 0)
    assert any("secret assembly" in f for f in verify(s, tmp_path))


def test_a_secret_ballot_in_an_open_assembly_is_refused(tmp_path: Path) -> None:
    log = synthetic.build(LOG, heads=4, ballots=0, close=False)
    key = full_ceremony(log.origin, 2).key
    head = synthetic.roster(4)[1][0]
    payload, sig = encrypted_payload(synthetic.device_key(b"seed", 0), key, log.origin, head,
                                     1, {"1": secret_log.ItemShape("motion")}, {"1": "agree"})
    log.signed(BALLOT, payload, sig, synthetic.OPENS + 5)
    log.close(synthetic.CLOSES)
    log.checkpoint()
    report = verify_bundle(log.write_bundle(tmp_path / "b.zip", []), workers=1)
    assert any("encrypted ballot in an assembly whose ballots are open" in f
               for f in rules(report)), report.checks


def test_a_ceremony_that_is_not_final_is_named(tmp_path: Path) -> None:
    s = open_log()
    # without the last confirmation: trustee 2 never judged the dealings
    log = MemLog(LOG, ORIGIN, s.log.assembly, s.log.roster, synthetic.OPENS - 3_600_000)
    for signed in s.ceremony.documents[:-1]:
        log.append(signed.document.TYPE, signed.to_json())
    log.enroll_key(s.heads[0], spki(s.device(0).public_key()), time_ms=synthetic.OPENS - 10)
    log.close(synthetic.CLOSES)
    log.checkpoint()
    report = verify_bundle(log.write_bundle(tmp_path / "b.zip", []), workers=1)
    assert any("key ceremony" in f and "not final" in f for f in rules(report)), \
        report.checks


def test_a_ceremony_document_after_the_notice_entries_is_refused(tmp_path: Path) -> None:
    s = open_log()
    extra = copy.deepcopy(s.ceremony.documents[0])
    s.log.append(extra.document.TYPE, extra.to_json())
    assert any("after the key ceremony" in f for f in verify(s, tmp_path))


def _decryption(s: secret_log.SecretLog, trustee: int = 1):
    from ledger.secret.group import base
    from ledger.secret.parts import Total

    return s.ceremony.decryption(trustee, [Total("1", 0, "area", base(5), base(7))])


def test_decryptions_come_after_the_close_signed_by_their_trustee(tmp_path: Path) -> None:
    s = open_log()
    early = _decryption(s)
    s.log.append(early.document.TYPE, early.to_json())
    assert any("after voting closes" in f for f in verify(s, tmp_path))

    s = open_log()
    s.log.close(synthetic.CLOSES)
    late = _decryption(s, 2)
    s.log.append(late.document.TYPE, late.to_json())
    forged = _decryption(s, 1)
    forged = type(forged)(forged.document, bytes(64))
    s.log.append(forged.document.TYPE, forged.to_json())
    s.log.checkpoint()
    failures = rules(verify_bundle(s.log.write_bundle(tmp_path / "c.zip", []), workers=1))
    assert len(failures) == 1 and "signature" in failures[0], failures


def test_the_casting_rules_judge_sealed_ballots_as_open_ones(tmp_path: Path) -> None:
    """Which ballot counts never reads its content: a revote refused under ``none``, a
    void of a secret ballot by the committee, proxies' keys alike."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from ledger.ballots import new_nonce
    from ledger.entries import signed_message
    from ledger.kinds import VOIDED

    s = secret_log.build(LOG, close=False, revote="none",
                         votes=[(0, {"1": "agree"}), (1, {"1": "oppose"})])
    second = s.log.size - 1  # head 1's ballot
    member = ec.generate_private_key(ec.SECP256R1())
    official = s.log.enroll_official(spki(member.public_key()), "m1")
    void = {"origin": ORIGIN, "target": second, "reason": "ballot entered twice",
            "official": official, "nonce": new_nonce()}
    s.log.signed(VOIDED, void, sign_p256(member, signed_message(VOIDED, void)),
                 synthetic.OPENS + 20)
    payload, sig = encrypted_payload(s.device(0), s.ceremony.key, ORIGIN, s.heads[0], 2,
                                     s.shapes, {"1": "oppose"})
    s.log.signed(BALLOT, payload, sig, synthetic.OPENS + 30)  # revote: not allowed
    failures = verify(s, tmp_path)
    assert len(failures) == 1 and "revote" in failures[0] and s.heads[0] in failures[0], \
        failures
    s.log.checkpoint()
    report = verify_bundle(s.log.write_bundle(tmp_path / "v.zip", []), workers=1)
    assert report.info["voided"] == 1 and report.info["heads_voted"] == 2
