"""The audit-bundle test vectors (docs/vectors/, docs/audit-bundle.md §13).

Each committed vector must give exactly its listed verdict and failing checks, and
regenerating the vectors (``python -m tests.support.vectors``) must give the committed
bytes, so the files, their listing and the verifier can never drift apart.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import BundleError
from ledger.verifier import verify_bundle
from tests.support import vectors

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors"
LISTING: list[dict[str, Any]] = json.loads((VECTORS / "vectors.json").read_text())["vectors"]


def verdict(vector: dict[str, Any]) -> tuple[str, list[str]]:
    previous = VECTORS / vector["previous"] if vector["previous"] else None
    try:
        report = verify_bundle(VECTORS / vector["file"], previous=previous,
                               log_key=vector["log_key"], workers=1)
    except BundleError:
        return "unreadable", []
    failing = sorted(name for name, failures in report.checks.items() if failures)
    return ("valid" if report.valid else "invalid"), failing


@pytest.mark.parametrize("vector", LISTING, ids=[v["name"] for v in LISTING])
def test_each_vector_gives_its_verdict_and_failing_checks(vector: dict[str, Any]) -> None:
    assert verdict(vector) == (vector["verdict"], vector["failing_checks"])
    assert vector["exit"] == {"valid": 0, "invalid": 1, "unreadable": 2}[vector["verdict"]]


def test_regenerating_gives_the_committed_files() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate-member vector
        built = vectors.build_all()
    committed = {p.name: p.read_bytes() for p in VECTORS.iterdir()}
    assert sorted(built) == sorted(committed)
    changed = [name for name, data in built.items() if committed[name] != data]
    assert not changed, f"run `python -m tests.support.vectors`: {changed} differ"


def test_the_listing_covers_every_verdict_and_the_promised_cases() -> None:
    assert len(LISTING) >= 12
    assert {v["verdict"] for v in LISTING} == {"valid", "invalid", "unreadable"}
    names = {v["name"] for v in LISTING}
    assert {"valid-minimal", "valid-transfer", "valid-election-tie", "wrong-log-key",
            "bad-checkpoint-root", "duplicate-cosignature", "tampered-result",
            "reordered-entries", "time-goes-back", "high-s-signature", "extra-payload-field",
            "missing-roster"} <= names


def test_the_election_vector_is_a_tie_that_elects_nobody() -> None:
    with zipfile.ZipFile(VECTORS / "valid-election-tie.zip") as z:
        election = json.loads(z.read("result.json"))["items"][0]["election"]
    assert election["status"] == "tie_for_last_seat" and election["elected"] == []
    assert election["tie"] == {"candidates": ["丙", "乙", "甲"], "seats": 2}
