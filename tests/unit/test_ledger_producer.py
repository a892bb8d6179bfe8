"""``producer.json``: the bundle names the ownervote version that wrote it, the signed
MANIFEST binds it, ``ownervote verify`` shows it, and a bundle without it (written
before it existed) still verifies."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ledger import keys, synthetic
from ledger.bundle import MANIFEST, PRODUCER, BundleReader, BundleWriter
from ledger.errors import LedgerError
from ledger.memlog import MemLog
from ledger.producer import Producer, parse_producer
from ledger.verifier import verify_bundle
from ownervote import __version__
from ownervote.cli import main

LOG = keys.generate("ownervote.example/log")
OLD = Producer("ownervote", "0.0.9")


@pytest.fixture(scope="module")
def log() -> MemLog:
    return synthetic.build(LOG, heads=6, ballots=8)


@pytest.fixture(scope="module")
def bundle(log, tmp_path_factory) -> Path:
    return log.write_bundle(tmp_path_factory.mktemp("p") / "b.zip", producer=OLD)


@pytest.fixture(scope="module")
def unnamed(log, tmp_path_factory) -> Path:
    return log.write_bundle(tmp_path_factory.mktemp("u") / "u.zip")


def failed(report) -> dict[str, list[str]]:
    return {k: v for k, v in report.checks.items() if v}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def resigned(src: Path, dst: Path, producer: bytes) -> Path:
    """The bundle with another producer.json, its MANIFEST signed again by the log key
    (what a producer writing a malformed member would give)."""
    origin = BundleReader(src).verify_manifest(LOG.verifier)[0]
    w = BundleWriter(dst)
    for name, data in sorted(members(src).items()):
        if name not in (MANIFEST, PRODUCER):
            w.add(name, data)
    w.add(PRODUCER, producer)
    w.finish(origin, LOG)
    return dst


def test_the_bundle_names_its_producer_in_the_signed_manifest(bundle: Path) -> None:
    assert members(bundle)[PRODUCER] == b'{"name":"ownervote","version":"0.0.9"}'
    manifest = BundleReader(bundle).manifest_note.text
    line = f"{hashlib.sha256(OLD.encode()).hexdigest()} {len(OLD.encode())} {PRODUCER}"
    assert line in manifest.split("\n"), manifest
    report = verify_bundle(bundle, workers=1, log_key=LOG.verifier.vkey)
    assert report.valid, failed(report)
    assert report.info["producer"] == {"name": "ownervote", "version": "0.0.9"}
    assert report.checks["producer"] == []


def test_a_bundle_without_producer_still_verifies(unnamed: Path) -> None:
    assert PRODUCER not in members(unnamed)
    report = verify_bundle(unnamed, workers=1, log_key=LOG.verifier.vkey)
    assert report.valid, failed(report)
    assert report.info["producer"] is None


def test_the_worked_example_predates_producer_and_verifies() -> None:
    example = Path(__file__).parents[1] / "data" / "ledger" / "example.zip"
    report = verify_bundle(example, workers=1)
    assert report.valid, failed(report)
    assert report.info["producer"] is None


def test_a_changed_or_dropped_producer_breaks_the_manifest(bundle: Path, tmp_path: Path) -> None:
    data = members(bundle)
    for replacement, message in (
        (b'{"name":"ownervote","version":"0.0.8"}', f"{PRODUCER} does not match its MANIFEST line"),
        (None, f"member {PRODUCER} listed in the MANIFEST is missing"),
    ):
        out = tmp_path / "x.zip"
        with zipfile.ZipFile(out, "w") as z:
            for name, blob in data.items():
                if name != PRODUCER or replacement is not None:
                    z.writestr(name, replacement if name == PRODUCER else blob)
        report = verify_bundle(out, workers=1)
        assert message in report.checks["manifest"]
        assert not report.valid


def test_an_unsigned_producer_added_later_is_refused(unnamed: Path, tmp_path: Path) -> None:
    out = tmp_path / "added.zip"
    with zipfile.ZipFile(unnamed) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr(PRODUCER, OLD.encode())
    report = verify_bundle(out, workers=1)
    assert f"unexpected member {PRODUCER} (not in the MANIFEST)" in report.checks["manifest"]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'{"name":"ownervote"}', "two strings"),
        (b'{"name":"ownervote","url":"x","version":"1.0"}', "two strings"),
        (b'{"version":"1.0","name":"ownervote"}', "canonical"),
        (b'{"name":"ownervote","version":1}', "must be strings"),
        (b'{"name":"OwnerVote","version":"1.0"}', "distribution name"),
        (b'{"name":"ownervote","version":"1.0\\n"}', "release number"),
        (b'{"name":"ownervote","version":"1.0; rm -rf ~"}', "release number"),
        (b'["ownervote","1.0"]', "two strings"),
    ],
)
def test_a_malformed_producer_fails_its_check(
    bundle: Path, tmp_path: Path, data: bytes, why: str
) -> None:
    with pytest.raises(LedgerError, match=why):
        parse_producer(data)
    report = verify_bundle(resigned(bundle, tmp_path / "bad.zip", data), workers=1)
    assert not report.valid
    assert report.checks["producer"] and report.checks["producer"][0].startswith(PRODUCER)
    assert failed(report).keys() == {"producer"}


@given(
    st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
    st.from_regex(r"[0-9][0-9A-Za-z.+!-]{0,20}", fullmatch=True),
)
def test_producer_round_trip(name: str, version: str) -> None:
    assert parse_producer(Producer(name, version).encode()) == Producer(name, version)


def test_verify_shows_the_producer_and_how_to_install_it(bundle: Path, unnamed: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["verify", str(bundle), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert f"produced by ownervote 0.0.9; verified with ownervote {__version__}" in r.output
    assert "pip install 'ownervote==0.0.9'" in r.output
    assert r.output.rstrip().splitlines()[-1].startswith("VALID (log key not pinned: compare ")
    r = runner.invoke(main, ["verify", str(unnamed), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "produced by: not named (no producer.json" in r.output
    assert "pip install" not in r.output
    r = runner.invoke(main, ["verify", str(bundle), "--workers", "1", "--json"])
    doc = json.loads(r.output)
    assert doc["producer"] == {"name": "ownervote", "version": "0.0.9"}
    assert doc["verifier"] == {"name": "ownervote", "version": __version__}


def test_verify_of_its_own_version_needs_no_install_note(log, tmp_path: Path) -> None:
    same = log.write_bundle(tmp_path / "same.zip", producer=Producer("ownervote", __version__))
    r = CliRunner().invoke(main, ["verify", str(same), "--workers", "1"])
    assert f"produced by ownervote {__version__}; verified with ownervote {__version__}" in (
        r.output
    )
    assert "pip install" not in r.output
