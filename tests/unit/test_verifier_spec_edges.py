"""Points docs/audit-bundle.md settles that the test vectors do not show one by one."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ledger.documents import item_doc
from ledger.errors import BundleError
from ledger.verifier import verify_bundle
from tests.support import vectorcases as cases
from tests.support import vectorkit as kit
from tests.support.vectors import CHAIN, COPIES, RULES


def failing(tmp_path: Path, log: kit.Draft) -> set[str]:
    path = tmp_path / "b.zip"
    path.write_bytes(cases.with_members(log))
    report = verify_bundle(path, workers=1, log_key=kit.LOG.verifier.vkey)
    return {name for name, failures in report.checks.items() if failures}


def test_a_malformed_enrolment_is_an_encoding_failure_whatever_its_words(tmp_path: Path) -> None:
    # the message names the "key" field: it used to be filed under "entries: signatures"
    log = cases.Log()
    log.attest(kit.OPENS + 60_000, "key.enrolled", {
        "head": log.head["1幢-101"], "key": "AB" * 32, "spki": "AA", "role": "owner",
        "agent": None, "voter": "v-owner-a"})
    assert failing(tmp_path, cases.closed(log, {})) == {CHAIN}


def test_an_election_beyond_the_committee_size_is_refused(tmp_path: Path) -> None:
    candidates = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]
    item = item_doc("1", "选举", "", "election", 3, None, candidates, 7)
    log = cases.Log(election=True, items=[item], settings={"committee_size": 5})
    log.close(cases.Log(election=True, items=[{**item, "seats": 5}]).counted({}))
    assert failing(tmp_path, log) == {RULES, COPIES}


def test_a_corrupt_deflate_stream_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    members = cases.closed(cases.minimal(), cases.AGREE).members()
    path = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in sorted(members.items()):
            z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("MANIFEST", kit.manifest(kit.ORIGIN, members))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("entries.jsonl")
    start = info.header_offset + 30 + len(info.filename) + 10
    raw[start:start + 40] = bytes(b ^ 0xFF for b in raw[start:start + 40])
    path.write_bytes(bytes(raw))
    with pytest.raises(BundleError, match="entries.jsonl: cannot be read"):
        verify_bundle(path, workers=1)
