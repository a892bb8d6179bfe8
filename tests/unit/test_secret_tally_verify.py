"""The verifier checks a secret assembly's result (docs/audit-bundle.md §10.2.1): it sums
the counting ballots' ciphertexts itself, checks every trustee's decryption shares against
those sums, combines k of them and compares the decided result with result.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ledger import canonical, keys, synthetic
from ledger.documents import parse_assembly, parse_roster
from ledger.entries import parse_entry
from ledger.replay import Replayer
from ledger.secret import dkg
from ledger.secret import tally as secret
from ledger.secret import trustee_docs as td
from ledger.secret.group import random_scalar
from ledger.secret.parts import combine, make_shares, totals_digest
from ledger.verifier import verify_bundle
from ownervote.cli import main
from tests.support import secret_log
from tests.support.secret_log import ORIGIN
from voting.ballots import Choice
from voting.tally import tally

LOG = keys.generate("ownervote.example/log")
VOTES = [(0, {"1": "agree"}), (1, {"1": "oppose", "2": "abstain"}), (2, {"1": "agree"}),
         (0, {"1": "oppose", "2": "agree"}), (3, {"2": "agree"}), (4, {"1": "agree"})]


def replayed(s: secret_log.SecretLog) -> Replayer:
    r = Replayer(LOG.verifier.vkey, s.log.roster, set(), ORIGIN)
    for i, data in enumerate(s.log.entries):
        r.feed(parse_entry(data, i))
    return r


def share(s: secret_log.SecretLog, trustee: int) -> int:
    return sum(t.poly(trustee) for t in s.ceremony.world.trustees.values()
               if t.poly is not None) % dkg.L


def decrypt_and_publish(s: secret_log.SecretLog, trustees: list[int],
                        wrong: int | None = None) -> dict[str, Any]:
    """Trustees publish their shares of the log's totals; returns the decided result."""
    enc = replayed(s).encrypted_tally()
    key = s.ceremony.key
    docs = {}
    for i in trustees:
        value = random_scalar() if i == wrong else share(s, i)
        doc = td.Decryption(ORIGIN, i, totals_digest(ORIGIN, key, enc.totals),
                            make_shares(ORIGIN, i, value, enc.totals))
        docs[i] = doc
        s.log.append(doc.TYPE, s.ceremony.world.publish(doc).to_json(), synthetic.CLOSES + i)
    ys = {i: dkg.verification_key(
        {d: s.ceremony.world.trustees[d].poly.commitments() for d in s.ceremony.world.trustees},
        set(s.ceremony.world.trustees), i) for i in s.ceremony.world.trustees}
    assembly = parse_assembly(s.log.assembly)
    report = combine(ORIGIN, key, s.ceremony.world.k, enc.totals, docs, ys)
    return secret.result(list(assembly.items.values()), assembly.settings, enc,
                         report).to_json()


def open_result(s: secret_log.SecretLog) -> dict[str, Any]:
    assembly = parse_assembly(s.log.assembly)
    roster = parse_roster(s.log.roster, assembly.settings)
    votes = {}
    for h, choices in VOTES:
        for item, word in choices.items():
            votes[(s.heads[h], item)] = Choice(word)
    return tally(roster, assembly.items.values(), votes, assembly.settings).to_json()


def bundle(s: secret_log.SecretLog, result: dict[str, Any], tmp_path: Path) -> Any:
    s.log.publish_result(result, synthetic.CLOSES + 100)
    s.log.checkpoint()
    return verify_bundle(s.log.write_bundle(tmp_path / "b.zip", []), workers=1)


def verify_cli(path: Path) -> str:
    return CliRunner().invoke(main, ["verify", str(path), "--workers", "1"]).output


def test_the_verifier_recomputes_a_secret_result(tmp_path: Path) -> None:
    s = secret_log.build(LOG, votes=VOTES, n=3)
    result = decrypt_and_publish(s, [1, 3])
    assert canonical.encode(result) == canonical.encode(open_result(s))
    report = bundle(s, result, tmp_path)
    assert report.valid, report.checks
    info = report.info["secret_tally"]
    assert info["trustees_combined"] == [1, 3] and info["trustees_left_out"] == {}
    assert info["totals"] == 2 * 6  # two motions, three options, area and heads
    out = verify_cli(tmp_path / "b.zip")
    assert "secret tally: 12 encrypted totals" in out and "decrypted by trustees 1, 3" in out


def test_a_wrong_result_or_a_wrong_share_is_named(tmp_path: Path) -> None:
    s = secret_log.build(LOG, votes=VOTES, n=3)
    result = decrypt_and_publish(s, [1, 2, 3], wrong=2)
    forged = canonical.decode(canonical.encode(result))
    forged["items"][0]["agree"]["heads"] += 1
    report = bundle(s, forged, tmp_path)
    assert not report.valid
    failures = [f for fails in report.checks.values() for f in fails]
    assert any("differs from the tally of the encrypted ballots" in f for f in failures)
    info = report.info["secret_tally"]
    assert info["trustees_combined"] == [1, 3]
    assert info["trustees_left_out"]["2"].startswith("trustee 2: shares[0]")
    out = verify_cli(tmp_path / "b.zip")
    assert "trustee 2 left out: trustee 2: shares[0]" in out and out.endswith("INVALID\n")


def test_fewer_than_k_valid_shares_cannot_verify(tmp_path: Path) -> None:
    s = secret_log.build(LOG, votes=VOTES, n=3)
    result = decrypt_and_publish(s, [1, 3])
    s2 = secret_log.build(LOG, votes=VOTES, n=3)  # another ceremony: its own key
    report = bundle(s2, result, tmp_path)
    failures = [f for fails in report.checks.values() for f in fails]
    assert any("0 valid decryption(s), 2 needed" in f for f in failures), failures


def test_nobody_voted_nothing_to_decrypt(tmp_path: Path) -> None:
    s = secret_log.build(LOG, votes=(), n=3)
    enc = replayed(s).encrypted_tally()
    assert enc.totals == ()
    assembly = parse_assembly(s.log.assembly)
    roster = parse_roster(s.log.roster, assembly.settings)
    empty = tally(roster, assembly.items.values(), {}, assembly.settings).to_json()
    report = bundle(s, empty, tmp_path)
    assert report.valid, report.checks
    assert report.info["secret_tally"]["trustees_combined"] == []
