"""The demo's secret-ballot assembly (issue 13 item 10): beside the two open assemblies, a
committee by-election by secret ballot that has been counted and announced.

On SQLite and PostgreSQL, the demo loaded through :func:`ownervote.services.demo.load`:

* ``ownervote assembly list --json`` gives each assembly's ``ballot_secrecy``;
* the secret assembly's audit bundle is public and verifies (every ballot proof, every
  homomorphic sum, every decryption share), decrypted by two of the three trustees;
* no ballot in it carries choices in clear, and its result elects two candidates;
* the announcement names the trustees who decrypted (1 and 3 of 3, threshold 2).
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ledger.verifier import verify_bundle
from ownervote.cli import main
from ownervote.services import bundles, demo_secret, trustee_documents
from ownervote.services.assemblies import list_assemblies
from ownervote.services.demo import load
from voting.store.models import Assembly


@pytest.fixture
def demo(session, ov_settings):
    load(session, ov_settings)
    session.commit()
    aid = session.scalars(select(Assembly.id).where(
        Assembly.title == demo_secret.TITLE)).one()
    session.commit()
    return aid


def test_assembly_list_shows_each_assemblys_ballot_secrecy(demo, session, db_url,
                                                           ov_settings) -> None:
    listed = {a["title"]: (a["status"], a["ballot_secrecy"]) for a in list_assemblies(session)}
    session.commit()
    assert listed == {"2026年第一次业主大会会议": ("announced", "open"),
                      "2026年第二次业主大会会议": ("open", "open"),
                      demo_secret.VOTING_TITLE: ("open", "secret"),
                      demo_secret.TITLE: ("announced", "secret")}
    r = CliRunner().invoke(main, ["assembly", "list", "--json"], env={
        "OWNERVOTE_DATABASE_URL": db_url,
        "OWNERVOTE_INSTANCE_DIR": str(ov_settings.instance_dir)})
    assert r.exit_code == 0, r.output
    assert {a["title"]: a["ballot_secrecy"] for a in json.loads(r.stdout)} == {
        t: secrecy for t, (_status, secrecy) in listed.items()}


def test_the_secret_assemblys_bundle_is_public_and_verifies(demo, session, ov_settings,
                                                          tmp_path) -> None:
    assert bundles.is_public(session.get_one(Assembly, demo))
    out = tmp_path / "secret.zip"
    bundles.export(session, ov_settings, demo, out)
    session.commit()
    report = verify_bundle(out, workers=1)
    assert report.valid, report.to_json()
    tally = report.info["secret_tally"]
    assert tally["trustees_combined"] == list(demo_secret.DECRYPTING)
    assert tally["trustees_left_out"] == {}

    with zipfile.ZipFile(out) as z:
        entries = [json.loads(line) for line in z.read("entries.jsonl").splitlines()]
        result = json.loads(z.read("result.json"))
    kinds = Counter(e["kind"] for e in entries)
    assert kinds["trustee.announcement"] == len(demo_secret.TRUSTEES)
    assert kinds["trustee.decryption"] == len(demo_secret.DECRYPTING)
    ballots = [e["body"]["payload"] for e in entries if e["kind"] == "ballot"]
    assert ballots and all("encrypted" in b and "choices" not in b for b in ballots)
    (item,) = result["items"]
    election = item["election"]
    assert election["status"] == "elected" and len(election["elected"]) == 2
    assert set(election["elected"]) <= set(demo_secret.CANDIDATES)
    assert item["quorum_met"] and item["participating"]["heads"] == len(ballots)


def test_the_announcement_names_the_trustees_who_decrypted(demo, session) -> None:
    view = trustee_documents.decryptions(session, demo)
    session.commit()
    assert view is not None and (view.trustees, view.threshold) == (3, 2)
    assert [(t.index, t.name) for t in view.decrypted_by] == [
        (i, demo_secret.TRUSTEES[i - 1]) for i in demo_secret.DECRYPTING]
    open_assembly = session.scalars(select(Assembly.id).where(
        Assembly.title != demo_secret.TITLE)).first()
    assert trustee_documents.decryptions(session, open_assembly) is None
