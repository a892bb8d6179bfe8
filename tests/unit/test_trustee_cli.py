"""``ownervote trustee``: a 3-of-5 ceremony end to end in a temporary folder — a bad
share complained about and answered, a trustee who lost its computer covered by the
threshold, a wrong decryption named — and the one-line, exit-2 errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.secret import schnorr, transport, trustee_sig
from ledger.secret import trustee_docs as td
from ledger.secret.dkg import random_polynomial
from ledger.secret.group import G, L, base, decode_point
from ownervote.cli import main
from ownervote.commands import trustee_files as files
from tests.support.trustees import expected, totals_file

ORIGIN = "ownervote.example/cli-garden/assembly/9"
BALLOTS = [(21, 8937, [1, 0, 0]), (22, 12050, [0, 1, 0]), (25, 9900, [1, 0, 0]),
           (31, 7020, [0, 0, 1])]


PASSPHRASE = "correct horse battery"


def run(*args: str, code: int = 0, input: str | None = None,
        passphrase: str | None = PASSPHRASE) -> str:
    env = {files.PASSPHRASE_ENV: passphrase}  # None: unset, so the command asks
    result = CliRunner().invoke(main, ["trustee", *args], input=input, env=env)
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def _init(tmp: Path, n: int, k: int | None = None) -> Path:
    pub = tmp / "pub"
    for i in range(1, n + 1):
        extra = ["--threshold", str(k)] if k else []
        out = run("init", "--key-dir", str(tmp / f"k{i}"), "--ceremony", str(pub),
                  "--origin", ORIGIN, "--trustees", str(n), "--index", str(i),
                  "--name", f"受托人 {i}", *extra)
        assert "fingerprint" in out
    return pub


def _bad_dealing(tmp: Path, pub: Path, dealer: int, victim: int, n: int) -> None:
    """Dealer deals with its own keys but seals a wrong share to ``victim``."""
    keys = files.load_keys(tmp / f"k{dealer}", PASSPHRASE)
    state = {i: td.loads((pub / f"announcement-{i}.json").read_bytes(), "a").document
             for i in range(1, n + 1)}
    poly = random_polynomial(keys.k)
    files.save_polynomial(tmp / f"k{dealer}", keys, poly)
    commitments = poly.commitments()
    proofs = tuple(schnorr.prove(a, c, schnorr.coefficient_context(ORIGIN, dealer, j))
                   for j, (a, c) in enumerate(zip(poly.coefficients, commitments, strict=True)))
    sealed = tuple(transport.seal((poly(i) + (i == victim)) % L,
                                  origin=ORIGIN, dealer=dealer, recipient=i,
                                  recipient_key=state[i].transport_key)
                   for i in range(1, n + 1))
    doc = td.Dealing(ORIGIN, dealer, commitments, proofs, sealed)
    files.publish(pub, td.sign(doc, keys.signing))


def test_a_3_of_5_ceremony_end_to_end(tmp_path: Path) -> None:
    n = 5
    pub = _init(tmp_path, n)
    assert (os.stat(tmp_path / "k1" / files.KEY_FILE).st_mode & 0o777) == 0o600
    for i in (1, 2, 3, 5):
        run("deal", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    _bad_dealing(tmp_path, pub, dealer=4, victim=5, n=n)
    for i in range(1, n + 1):
        out = run("confirm", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    assert "COMPLAINT against trustee 4" in out and (pub / "complaint-5-against-4.json").exists()
    status = json.loads(run("status", "--ceremony", str(pub)))
    assert status["phase"] == "confirming" and status["open_complaints"] == [
        {"complainant": 5, "dealer": 4}]
    run("answer", "--key-dir", str(tmp_path / "k4"), "--ceremony", str(pub))
    status = json.loads(run("status", "--ceremony", str(pub)))
    assert status["phase"] == "final" and status["k"] == 3
    assert status["qualified"] == [1, 2, 3, 4, 5] and status["holders"] == [1, 2, 3, 4, 5]
    key = decode_point(status["key"], "key")

    # trustee 2 loses its computer: the threshold covers it
    for f in (tmp_path / "k2").iterdir():
        f.unlink()
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps(totals_file(ORIGIN, key, BALLOTS)))
    refused = run("decrypt", "--key-dir", str(tmp_path / "k2"), "--ceremony", str(pub),
                  "--totals", str(totals), "--yes", code=2)
    assert "trustee-key.json: does not exist" in refused
    out = run("decrypt", "--key-dir", str(tmp_path / "k5"), "--ceremony", str(pub),
              "--totals", str(totals), input="n\n", code=1)  # asked, declined: nothing written
    assert "item 1: 4 ballots, area 379.07 m²" in out and not (pub / "decryption-5.json").exists()
    for i in (1, 3, 4, 5):
        run("decrypt", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub),
            "--totals", str(totals), "--yes")
    # trustee 4's published shares are altered after the fact: its signature no longer holds
    four = pub / "decryption-4.json"
    four.write_bytes(four.read_bytes().replace(b'"option":0', b'"option":9', 1))
    refused = run("combine", "--ceremony", str(pub), "--totals", str(totals), code=2)
    assert "decryption-4.json" in refused
    four.unlink()
    result = json.loads(run("combine", "--ceremony", str(pub), "--totals", str(totals)))
    assert result["trustees"] == [1, 3, 5] and result["invalid"] == {}
    assert [t["m_point"] for t in result["totals"]] == [base(m).hex() for m in expected(BALLOTS)]


def test_a_decryption_of_other_totals_is_named_and_left_out(tmp_path: Path) -> None:
    pub = _init(tmp_path, 3)
    for i in (1, 2, 3):
        run("deal", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    for i in (1, 2, 3):
        run("confirm", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    key = decode_point(json.loads(run("status", "--ceremony", str(pub)))["key"], "key")
    totals, other = tmp_path / "totals.json", tmp_path / "other.json"
    totals.write_text(json.dumps(totals_file(ORIGIN, key, BALLOTS)))
    other.write_text(json.dumps(totals_file(ORIGIN, key, BALLOTS)))  # fresh ciphertexts
    run("decrypt", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub),
        "--totals", str(totals), "--yes")
    run("decrypt", "--key-dir", str(tmp_path / "k3"), "--ceremony", str(pub),
        "--totals", str(other), "--yes")
    refused = run("combine", "--ceremony", str(pub), "--totals", str(totals), code=2)
    assert "1 valid decryption(s), 2 needed (trustee 3: decrypted other totals" in refused
    run("decrypt", "--key-dir", str(tmp_path / "k2"), "--ceremony", str(pub),
        "--totals", str(totals), "--yes")
    result = json.loads(run("combine", "--ceremony", str(pub), "--totals", str(totals)))
    assert result["trustees"] == [1, 2] and "3" in result["invalid"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t["totals"][0].update(terms=t["totals"][0]["terms"][:1]),
     "totals.json.totals[0].terms: 1 ballot(s), fewer than 2"),
    (lambda t: t["totals"][1]["terms"].pop(),
     "totals.json.totals[1].terms: item 1: not the same ballots"),
    (lambda t: t["totals"][1]["terms"][0].update(weight=3),
     "totals.json.totals[1].terms[0].weight: a heads total weighs every ballot 1"),
    (lambda t: t["totals"][0]["terms"][1].update(entry=21),
     "totals.json.totals[0].terms[1].entry: entry 21 appears twice"),
    (lambda t: t["totals"][0]["terms"][0].update(a="02" + "05" * 32),
     "totals.json.totals[0].terms[0].a: not a compressed point"),
    (lambda t: t.update(key=G.hex()), "totals.json.key: not the joint key"),
])
def test_decrypt_refuses_totals_it_cannot_recompute_safely(tmp_path, change, message) -> None:
    pub = _init(tmp_path, 2)
    for i in (1, 2):
        run("deal", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    for i in (1, 2):
        run("confirm", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    key = decode_point(json.loads(run("status", "--ceremony", str(pub)))["key"], "key")
    doc = totals_file(ORIGIN, key, BALLOTS)
    change(doc)
    path = tmp_path / "totals.json"
    path.write_text(json.dumps(doc))
    out = run("decrypt", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub),
              "--totals", str(path), "--yes", code=2)
    assert out.startswith("ownervote trustee decrypt: ") and message in out, out
    assert out.count("\n") == 1 and not (pub / "decryption-1.json").exists()


def test_one_line_errors_naming_the_file_or_field(tmp_path: Path) -> None:
    out = run("init", "--key-dir", str(tmp_path / "k"), "--ceremony", str(tmp_path / "p"),
              "--origin", ORIGIN, "--trustees", "3", "--index", "4", "--name", "x", code=2)
    assert "--index: a trustee index is an integer from 1 to n = 3" in out
    out = run("init", "--key-dir", str(tmp_path / "k"), "--ceremony", str(tmp_path / "p"),
              "--origin", ORIGIN, "--trustees", "1", "--index", "1", "--name", "x", code=2)
    assert "trustees: n must be an integer from 2" in out
    pub = _init(tmp_path, 2)
    out = run("init", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub),
              "--origin", ORIGIN, "--trustees", "2", "--index", "1", "--name", "x", code=2)
    assert "trustee-key.json: already exists" in out
    os.chmod(tmp_path / "k1" / files.KEY_FILE, 0o644)
    out = run("deal", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), code=2)
    assert "trustee-key.json: is accessible by group or others" in out
    os.chmod(tmp_path / "k1" / files.KEY_FILE, 0o600)
    run("deal", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub))
    out = run("deal", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), code=2)
    assert "dealing-1.json is already published" in out
    out = run("confirm", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), code=2)
    assert "no dealing yet from trustee(s) 2" in out
    (pub / "announcement-2.json").write_text('{"document": 1}')
    out = run("status", "--ceremony", str(pub), code=2)
    assert "announcement-2.json: not a canonical JSON document" in out


def test_the_key_files_are_sealed_under_a_passphrase(tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    out = run("init", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), "--origin",
              ORIGIN, "--trustees", "2", "--index", "1", "--name", "a",
              input="short\nshort\n", passphrase=None, code=2)
    assert "passphrase: use at least 8 characters" in out
    assert not (tmp_path / "k1" / files.KEY_FILE).exists() and not pub.exists()
    run("init", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), "--origin", ORIGIN,
        "--trustees", "2", "--index", "1", "--name", "a",
        input="long enough\nlong enough\n", passphrase=None)
    keys = files.load_keys(tmp_path / "k1", "long enough")
    text = (tmp_path / "k1" / files.KEY_FILE).read_text()
    assert trustee_sig.seed_bytes(keys.signing).hex() not in text
    assert transport.private_bytes(keys.transport).hex() not in text
    run("init", "--key-dir", str(tmp_path / "k2"), "--ceremony", str(pub), "--origin", ORIGIN,
        "--trustees", "2", "--index", "2", "--name", "b")
    out = run("deal", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), code=2)
    assert "trustee-key.json.sealed: wrong passphrase" in out
    run("deal", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub),
        input="long enough\n", passphrase=None)
    # the public fields are bound to the sealed keys: renumbering the file breaks it
    path = tmp_path / "k2" / files.KEY_FILE
    raw = json.loads(path.read_text())
    raw["trustee"] = 1
    path.write_text(json.dumps(raw))
    out = run("deal", "--key-dir", str(tmp_path / "k2"), "--ceremony", str(pub), code=2)
    assert "trustee-key.json.sealed: wrong passphrase (or the file was altered)" in out


def test_a_ceremony_closed_without_an_absent_dealer(tmp_path: Path) -> None:
    pub = _init(tmp_path, 3)
    for i in (1, 2):
        run("deal", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub))
    out = run("confirm", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), code=2)
    assert "no dealing yet from trustee(s) 3" in out
    for i in (1, 2, 3):
        run("confirm", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub), "--closed")
    assert json.loads(run("status", "--ceremony", str(pub)))["phase"] == "dealing"
    status = json.loads(run("status", "--ceremony", str(pub), "--closed"))
    assert status["phase"] == "final" and status["qualified"] == [1, 2]
    key = decode_point(status["key"], "key")
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps(totals_file(ORIGIN, key, BALLOTS)))
    out = run("decrypt", "--key-dir", str(tmp_path / "k3"), "--ceremony", str(pub),
              "--totals", str(totals), "--yes", "--closed")
    assert "warning: this trustee's own dealing is not in the qualified set [1, 2]" in out
    for i in (1,):
        run("decrypt", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub),
            "--totals", str(totals), "--yes", "--closed")
    result = json.loads(run("combine", "--ceremony", str(pub), "--totals", str(totals),
                            "--closed"))
    assert [t["m_point"] for t in result["totals"]] == [base(m).hex() for m in expected(BALLOTS)]
    assert result["trustees"] == [1, 3]
