"""``ownervote trustee decrypt --bundle``: a trustee derives the totals from the verified
audit bundle itself (docs/secret-ballots.md §12.5, §13) — every counting ballot, nothing
else, the roster's weights — and its shares make ``ownervote verify`` accept the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ledger import canonical, keys, synthetic
from ledger.ballots import spki
from ledger.documents import parse_assembly
from ledger.entries import parse_entry
from ledger.kinds import BALLOT
from ledger.memlog import MemLog
from ledger.replay import Replayer
from ledger.secret import tally as secret
from ledger.secret import trustee_docs as td
from ledger.secret.ceremony import Ceremony
from ledger.secret.ledgerdocs import layout
from ledger.secret.parts import combine_ceremony
from ledger.verifier import verify_bundle
from ownervote.cli import main
from ownervote.commands import trustee_files as files
from tests.support.secret_log import ORIGIN, encrypted_payload, secret_settings

LOG = keys.generate("ownervote.example/log")
PASSPHRASE = "correct horse battery"
ORDER = {"trustee.announcement": 0, "trustee.dealing": 1, "trustee.confirmation": 2}
VOTES = [(0, {"1": "agree"}), (1, {"1": "oppose", "2": "abstain"}), (2, {"1": "agree"}),
         (0, {"1": "abstain", "2": "agree"}), (3, {"2": "agree", "1": "agree"})]


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["trustee", *args], env={files.PASSPHRASE_ENV: PASSPHRASE})
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def ceremony(tmp: Path, n: int = 3) -> Path:
    pub = tmp / "pub"
    for i in range(1, n + 1):
        run("init", "--key-dir", str(tmp / f"k{i}"), "--ceremony", str(pub), "--origin", ORIGIN,
            "--trustees", str(n), "--index", str(i), "--name", f"trustee {i}")
    for step in ("deal", "confirm"):
        for i in range(1, n + 1):
            run(step, "--key-dir", str(tmp / f"k{i}"), "--ceremony", str(pub))
    return pub


def secret_log(pub: Path, close: bool = True) -> MemLog:
    settings = secret_settings(3)
    rdata, heads = synthetic.roster(6, settings)
    adoc = synthetic.assembly_doc(items=2, settings=settings)
    log = MemLog(LOG, ORIGIN, adoc, rdata, synthetic.OPENS - 3_600_000)
    docs = sorted((s for _, s in files.read_ceremony(pub)),
                  key=lambda s: (ORDER[s.document.TYPE], s.document.trustee))
    for signed in docs:
        log.append(signed.document.TYPE, signed.to_json())
    for h, head in enumerate(heads):
        log.enroll_key(head, spki(synthetic.device_key(b"s", h).public_key()), voter=f"v{h}",
                       time_ms=synthetic.OPENS - 1_800_000)
    key = Ceremony.build((f"d{i}", s) for i, s in enumerate(docs)).status().key
    assert key is not None
    shapes = layout(parse_assembly(adoc).items.values())
    seqs: dict[int, int] = {}
    for t, (h, choices) in enumerate(VOTES):
        seqs[h] = seqs.get(h, 0) + 1
        payload, sig = encrypted_payload(synthetic.device_key(b"s", h), key, ORIGIN, heads[h],
                                         seqs[h], shapes, choices)
        log.signed(BALLOT, payload, sig, synthetic.OPENS + t)
    if close:
        log.close(synthetic.CLOSES)
    log.checkpoint()
    return log


def tallied(log: MemLog, pub: Path) -> dict[str, Any]:
    """The server's part: the decryption entries, then the result from their shares."""
    for path in sorted(pub.glob("decryption-*.json")):
        signed = td.loads(path.read_bytes(), path.name)
        log.append(signed.document.TYPE, signed.to_json(), synthetic.CLOSES + 10)
    r = Replayer(LOG.verifier.vkey, log.roster, set(), ORIGIN)
    for i, data in enumerate(log.entries):
        r.feed(parse_entry(data, i))
    enc = r.encrypted_tally()
    state = Ceremony.build(files.read_ceremony(pub))
    a = parse_assembly(log.assembly)
    return secret.result(list(a.items.values()), a.settings, enc,
                         combine_ceremony(state, enc.totals)).to_json()


def test_decrypt_from_the_bundle_and_the_verifier_accepts(tmp_path: Path) -> None:
    pub = ceremony(tmp_path)
    log = secret_log(pub)
    bundle = log.write_bundle(tmp_path / "b.zip", [])
    for i in (1, 3):
        out = run("decrypt", "--key-dir", str(tmp_path / f"k{i}"), "--ceremony", str(pub),
                  "--bundle", str(bundle), "--yes")
    assert "12 totals recomputed from" in out
    assert "item 1: 4 ballots" in out and "item 2: 3 ballots" in out
    combined = json.loads(run("combine", "--ceremony", str(pub), "--bundle", str(bundle)))
    assert combined["trustees"] == [1, 3] and len(combined["totals"]) == 12
    result = tallied(log, pub)
    agree = [it["agree"]["heads"] for it in result["items"]]
    assert agree == [2, 2]  # item 1: heads 2 and 3 agree (head 0 changed to abstain)
    log.publish_result(result, synthetic.CLOSES + 100)
    log.checkpoint()
    report = verify_bundle(log.write_bundle(tmp_path / "final.zip", []), workers=1)
    assert report.valid, report.checks
    assert report.info["secret_tally"]["trustees_combined"] == [1, 3]
    assert canonical.encode(result) == canonical.encode(log.result)


def test_decrypt_refuses_a_bundle_that_does_not_verify_or_is_still_open(tmp_path: Path) -> None:
    pub = ceremony(tmp_path)
    still_open = secret_log(pub, close=False).write_bundle(tmp_path / "open.zip", [])
    out = run("decrypt", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub),
              "--bundle", str(still_open), "--yes", code=2)
    assert "voting is not closed" in out and not (pub / "decryption-1.json").exists()
    log = secret_log(pub)
    log.entries[-3] = log.entries[-3].replace(b'"seq":', b'"seq": ', 1)
    broken = log.write_bundle(tmp_path / "broken.zip", [])
    out = run("decrypt", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub),
              "--bundle", str(broken), "--yes", code=2)
    assert "does not verify, refusing to decrypt" in out
    out = run("decrypt", "--key-dir", str(tmp_path / "k1"), "--ceremony", str(pub), "--yes",
              code=2)
    assert "give exactly one of --bundle" in out
