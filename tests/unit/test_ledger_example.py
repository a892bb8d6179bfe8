"""The worked example of docs/audit-bundle.md, as a known-answer test of the formats.

tests/data/ledger/example.zip was written by tests/data/ledger/worked_example.py; if a
format changes, these values (quoted in the document) stop matching.
"""

from __future__ import annotations

import hashlib
import zipfile

from ledger import canonical, merkle
from ledger.ballots import PREFIXES, verify_ballot_signature
from ledger.receipts import tracker_code
from ledger.verifier import verify_bundle
from tests.support.data import DATA

EXAMPLE = DATA / "ledger" / "example.zip"
LOG_VKEY = "ownervote.example/log+6e5e28e4+AZVDuCoKMyuSS6y1yGKhw50fcnKU5iYOaKEccrFGj8ML"
BALLOT_HASH = "e4d22ced35f941da6a950d8496d133cc2092a5e05ee329f42f70b8f01d4758c9"
ROOT = "168eacf04083a154c88a2993bdffcaa6f59b7e3f28f3b9c262ca50c64fae1e5a"
ROSTER_SHA = "91ce98e2173745b5cbb9d667fa18baa213a924416ba63805bc55153a23fe4564"


def test_worked_example_verifies_with_the_documented_values() -> None:
    report = verify_bundle(EXAMPLE, workers=1, log_key=LOG_VKEY)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    with zipfile.ZipFile(EXAMPLE) as z:
        lines = z.read("entries.jsonl").split(b"\n")[:-1]
        roster = z.read("roster.json")
    assert merkle.leaf_hash(lines[2]).hex() == BALLOT_HASH
    assert tracker_code(bytes.fromhex(BALLOT_HASH)) == "4TJC-Z3JV-7FA5-U2UV-BWCJ"
    assert merkle.root(lines).hex() == ROOT
    assert hashlib.sha256(roster).hexdigest() == ROSTER_SHA  # plain SHA-256, no leaf prefix
    ballot = canonical.decode(lines[2])
    payload = ballot["body"]["payload"]
    message = PREFIXES["ballot"] + canonical.encode(payload)
    assert message.startswith(b'ownervote/ballot/v1\n{"choices":{"1":"agree"},"head":')
    enrol = canonical.decode(lines[1])["body"]["payload"]
    verify_ballot_signature(
        canonical.unb64url(enrol["spki"]), payload, canonical.unb64url(ballot["body"]["sig"])
    )
    for i in range(1, len(lines)):
        assert canonical.decode(lines[i])["prev"] == merkle.leaf_hash(lines[i - 1]).hex()
