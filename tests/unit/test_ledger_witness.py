"""The witness's checks (ledger.witness) against the C2SP tlog-witness text, case by case."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.note import Checkpoint, parse_note, verify_cosignature
from ledger.witness import (
    MAX_PROOF_LINES,
    Latest,
    Refused,
    RequestError,
    Why,
    WitnessConfigError,
    cosignature_lines,
    judge,
    parse_request,
    parse_trusted_logs,
)
from tests.support.witnessing import HOST, ORIGIN, ToyLog, witness_key


def _logs(log: ToyLog, pattern: str = ""):
    return parse_trusted_logs(f"{log.signer.verifier.vkey} {pattern}\n")


def _judge(log: ToyLog, body: bytes, latest: Latest | None, pattern: str = ""):
    return judge(parse_request(body), _logs(log, pattern), latest)


def test_first_checkpoint_is_cosigned_and_the_cosignature_verifies() -> None:
    log = ToyLog()
    log.grow(5)
    verdict = _judge(log, log.body(0), None)
    assert verdict == log.checkpoint()
    witness = witness_key()
    lines = cosignature_lines(verdict, (witness,), 1_700_000_000)
    assert lines.startswith("\u2014 street-office.example/witness ") and lines.endswith("\n")
    # "the client MAY concatenate it to the checkpoint": a note verifier reads it
    note = parse_note(log.signed() + lines)
    assert verify_cosignature(note.text, note.signatures[1], witness.verifier) == 1_700_000_000


def test_consistent_growth_is_cosigned() -> None:
    log = ToyLog()
    log.grow(7)
    latest = Latest(7, merkle.root(log.entries))
    log.grow(6)
    assert _judge(log, log.body(7), latest) == log.checkpoint()


def test_same_checkpoint_again_is_cosigned() -> None:
    log = ToyLog()
    log.grow(4)
    assert _judge(log, log.body(4), Latest(4, merkle.root(log.entries))) == log.checkpoint()


def test_unknown_origin_is_404() -> None:
    log = ToyLog(origin="elsewhere.example/x/assembly/1")
    log.grow(1)
    trusted = ToyLog()
    verdict = judge(parse_request(log.body(0)), _logs(trusted), None)
    assert isinstance(verdict, Refused) and verdict.status == 404


def test_no_trusted_signature_is_403() -> None:
    impostor = ToyLog()  # same key name, another key
    impostor.grow(2)
    verdict = judge(parse_request(impostor.body(0)), _logs(ToyLog()), None)
    assert isinstance(verdict, Refused) and verdict.status == 403


def test_a_broken_trusted_signature_is_403() -> None:
    log = ToyLog()
    log.grow(2)
    body = log.body(0)
    text = body.decode()
    sig_start = text.rindex(" ") + 1
    # flip a byte inside the signature (after the 4-byte key id) without breaking base64
    raw = bytearray(base64.b64decode(text[sig_start:].strip()))
    raw[10] ^= 1
    broken = text[:sig_start] + base64.b64encode(bytes(raw)).decode() + "\n"
    verdict = _judge(log, broken.encode(), None)
    assert isinstance(verdict, Refused) and verdict.why is Why.NO_TRUSTED_SIGNATURE


def test_old_after_new_is_400() -> None:
    log = ToyLog()
    log.grow(3)
    verdict = _judge(log, log.body(0, proof=[]).replace(b"old 0", b"old 9"), None)
    assert isinstance(verdict, Refused) and verdict.status == 400


def test_old_size_mismatch_is_409_with_the_latest_size() -> None:
    log = ToyLog()
    log.grow(10)
    verdict = _judge(log, log.body(4), Latest(6, merkle.root(log.entries[:6])))
    assert isinstance(verdict, Refused)
    assert (verdict.status, verdict.body, verdict.content_type) == (
        409, "6\n", "text/x.tlog.size")
    # never cosigned this origin: the witness's size is 0
    verdict = _judge(log, log.body(4), None)
    assert isinstance(verdict, Refused) and verdict.body == "0\n"


def test_a_fork_at_the_same_size_is_409_and_evidence() -> None:
    log = ToyLog()
    log.grow(5)
    verdict = _judge(log, log.body(5), Latest(5, b"\x01" * 32))
    assert isinstance(verdict, Refused)
    assert verdict.status == 409 and verdict.body == "5\n" and verdict.evidence


def test_a_bad_consistency_proof_is_422_and_evidence() -> None:
    log = ToyLog()
    log.grow(8)
    latest = Latest(5, merkle.root(log.entries[:5]))
    proof = merkle.consistency_proof(log.entries, 5)
    proof[0] = bytes(32)
    verdict = _judge(log, log.body(5, proof=proof), latest)
    assert isinstance(verdict, Refused) and verdict.status == 422 and verdict.evidence


def test_a_rewritten_history_is_422() -> None:
    log = ToyLog()
    log.grow(5)
    latest = Latest(5, merkle.root(log.entries))
    log.entries[2] = b"dropped ballot"
    log.grow(3)
    verdict = _judge(log, log.body(5), latest)
    assert isinstance(verdict, Refused) and verdict.status == 422


def test_a_proof_with_old_size_zero_must_be_empty() -> None:
    log = ToyLog()
    log.grow(3)
    verdict = _judge(log, log.body(0, proof=[bytes(32)]), None)
    assert isinstance(verdict, Refused) and verdict.status == 422


@pytest.mark.parametrize("body, problem", [
    (b"old 1\n", "no empty line"),
    (b"old 01\n\nx", "first line"),
    (b"new 1\n\nx", "first line"),
    (b"old -1\n\nx", "first line"),
    (b"old 1\nnot base64!\n\nx", "line 2"),
    (b"old 1\n" + base64.b64encode(bytes(31)) + b"\n\nx", "line 2"),
    (b"old 0\n\n" + b"\xff", "UTF-8"),
    (b"old 0\n\nvote.example/x\n1\n", "checkpoint"),
])
def test_malformed_bodies_are_refused_with_what_is_wrong(body: bytes, problem: str) -> None:
    with pytest.raises(RequestError, match=problem):
        parse_request(body)


def test_at_most_63_proof_lines() -> None:
    log = ToyLog()
    log.grow(1)
    line = base64.b64encode(bytes(32)).decode() + "\n"
    body = (f"old 1\n{line * (MAX_PROOF_LINES + 1)}\n" + log.signed()).encode()
    with pytest.raises(RequestError, match="63"):
        parse_request(body)
    body = (f"old 1\n{line * MAX_PROOF_LINES}\n" + log.signed()).encode()
    assert len(parse_request(body).proof) == MAX_PROOF_LINES


def test_logs_file_patterns() -> None:
    log = ToyLog()
    (default,) = parse_trusted_logs(f"# the log\n{log.signer.verifier.vkey}\n\n")
    assert default.pattern == f"{HOST}/"
    assert default.covers(ORIGIN) and not default.covers(f"{HOST}/") and not default.covers(
        "other.example/x/assembly/1")
    (exact,) = parse_trusted_logs(f"{log.signer.verifier.vkey} {ORIGIN}\n")
    assert exact.covers(ORIGIN) and not exact.covers(ORIGIN + "0")
    with pytest.raises(WitnessConfigError, match="line 2"):
        parse_trusted_logs(f"{log.signer.verifier.vkey}\nnot-a-key\n")
    with pytest.raises(WitnessConfigError, match="not a log"):
        parse_trusted_logs(witness_key().verifier.vkey + "\n")
    with pytest.raises(WitnessConfigError, match="names no log"):
        parse_trusted_logs("# nothing\n")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=8),
       st.data())
def test_a_witness_follows_an_honest_log_and_refuses_every_tampered_proof(
        steps: list[int], data: st.DataObject) -> None:
    """Property: an honest log's checkpoints, each with the proof from the witness's size,
    are all cosigned; the same request with one proof hash changed never is."""
    log = ToyLog()
    latest: Latest | None = None
    for step in steps:
        log.grow(step)
        old = latest.size if latest else 0
        body = log.body(old)
        request = parse_request(body)
        if request.proof:
            i = data.draw(st.integers(0, len(request.proof) - 1))
            bad = list(request.proof)
            bad[i] = bytes(b ^ 0x80 for b in bad[i])
            verdict = _judge(log, log.body(old, proof=bad), latest)
            assert isinstance(verdict, Refused) and verdict.status == 422
        verdict = _judge(log, body, latest)
        assert isinstance(verdict, Checkpoint), verdict
        latest = Latest(verdict.size, verdict.root)
