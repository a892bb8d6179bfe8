"""A secret assembly end to end on SQLite and PostgreSQL: the committee records the
trustees' documents (refusing what does not verify or fit), the notice is refused until
the ceremony is final and then writes it after entry 0, encrypted ballots are cast through
the sequencer (a bad proof or an open ballot refused, nothing written), every casting
rule still decides which ballot counts, and the exported bundle verifies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger import canonical
from ledger.ballots import sign_p256, signing_message
from ledger.errors import Refusal
from ledger.kinds import CEREMONY_KINDS
from ledger.secret import trustee_docs as td
from ledger.secret.ledgerdocs import SecretRefused, layout
from ledger.store import castpath, checkpoints, committee, enrolment, logstore, sequencer
from ledger.store.export import export_bundle
from ledger.store.logstore import begin_write
from ledger.store.models import LedgerEntry
from ledger.store.publish import assembly_origin, publish_assembly, published
from ledger.verifier import verify_bundle
from ownervote.db import make_session_factory
from ownervote.services import trustee_documents
from tests.support.sample_log import (
    LOG_SIGNER,
    device,
    make_assembly,
    signed_ballot,
)
from tests.support.secret_log import encrypted_payload, secret_settings
from tests.support.trustees import full_ceremony
from voting.errors import CastRefused
from voting.store.models import Assembly

REAL = dt.datetime.now(dt.UTC)  # the sequencer casts at the clock's time
NOW = REAL - dt.timedelta(days=2)
CLOSES = REAL + dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def _cold_process():
    castpath.reset()  # the election key is cached per process


def _draft(session) -> tuple[int, str]:
    aid = make_assembly(session, secret_settings(2, revote="none"))
    a = session.get(Assembly, aid)
    a.status = "draft"
    a.opens_at, a.closes_at = REAL - dt.timedelta(days=1), CLOSES
    session.commit()
    return aid, assembly_origin(session, a, None)


def _submit(session, aid: int, data: bytes) -> trustee_documents.Recorded:
    return trustee_documents.submit(session, aid, data, base_url=None, now=NOW, actor="test")


def _publish(session, aid: int) -> None:
    session.commit()
    begin_write(session)
    try:
        publish_assembly(session, aid, LOG_SIGNER, None, now=NOW)
    except Exception:
        session.rollback()
        raise
    session.commit()


def test_the_ceremony_gates_the_notice_and_goes_into_the_log(session) -> None:
    aid, origin = _draft(session)
    with pytest.raises(SecretRefused) as none:
        _publish(session, aid)
    assert none.value.code is Refusal.CEREMONY_NOT_FINAL
    c = full_ceremony(origin, 2)
    files = c.files()
    for data in files[:-1]:  # all but trustee 2's confirmation
        assert _submit(session, aid, data).entry is None
    signed = td.loads(files[0], "f")
    forged = td.dumps(td.Signed(signed.document, bytes(64)))
    elsewhere = full_ceremony("ownervote.example/other/assembly/9", 2).files()[0]
    for bad, code in ((forged, Refusal.BAD_TRUSTEE_DOCUMENT),
                      (elsewhere, Refusal.BAD_TRUSTEE_DOCUMENT),
                      (files[0], Refusal.BAD_TRUSTEE_DOCUMENT),  # recorded already
                      (b"{}", Refusal.BAD_TRUSTEE_DOCUMENT)):
        with pytest.raises(SecretRefused) as refused:
            _submit(session, aid, bad)
        assert refused.value.code is code
    status = trustee_documents.ceremony_status(session, aid, base_url=None)
    assert status.phase == "confirming" and status.missing["undecided"] == [2]
    assert [t.index for t in status.announced] == [1, 2] and status.key is None
    with pytest.raises(SecretRefused) as early:
        _publish(session, aid)
    assert early.value.code is Refusal.CEREMONY_NOT_FINAL
    assert early.value.params["undecided"] == [2]

    assert _submit(session, aid, files[-1]).phase == "final"
    session.get(Assembly, aid).status = "noticed"
    _publish(session, aid)
    kinds = session.scalars(select(LedgerEntry.kind).where(LedgerEntry.assembly_id == aid)
                            .order_by(LedgerEntry.index)).all()
    assert kinds[0] == "assembly.published" and set(kinds[1:]) <= set(CEREMONY_KINDS)
    assert len(kinds) == 1 + len(files)
    status = trustee_documents.ceremony_status(session, aid, base_url=None)
    assert status.phase == "final" and status.key == c.key.hex()
    with pytest.raises(SecretRefused) as late:  # the ceremony ended with the notice
        _submit(session, aid, full_ceremony(origin, 2).files()[0])
    assert late.value.code is Refusal.CEREMONY_NOT_FINAL


def test_encrypted_ballots_are_cast_counted_and_verified(session, engine, tmp_path: Path
                                                         ) -> None:
    aid, origin = _draft(session)
    c = full_ceremony(origin, 2)
    for data in c.files():
        _submit(session, aid, data)
    session.get(Assembly, aid).status = "noticed"
    _publish(session, aid)
    adef, roster = published(session, aid)
    heads = sorted(roster.heads)
    shapes = layout(adef.items.values())
    keys = {}
    session.commit()
    begin_write(session)
    for n, head in enumerate(heads[:3]):
        k, der, _ = device()
        enrolment.enroll_key(session, aid, LOG_SIGNER, head, der, voter=f"v{n}", now=REAL)
        keys[head] = k
    checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)
    session.commit()
    seq = sequencer.Sequencer(make_session_factory(engine))

    def size() -> int:
        session.rollback()
        return session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.assembly_id == aid))

    a, b, d = heads[:3]
    seq.cast(aid, *encrypted_payload(keys[a], c.key, origin, a, 1, shapes,
                                     {"1": "agree", "2": [0]}), LOG_SIGNER)
    seq.cast(aid, *encrypted_payload(keys[b], c.key, origin, b, 1, shapes, {"2": []}),
             LOG_SIGNER)
    before = size()
    # a tampered proof: refused with its item, option and proof named; nothing written
    payload, _sig = encrypted_payload(keys[d], c.key, origin, d, 1, shapes, {"1": "oppose"})
    z = payload["encrypted"]["1"]["options"][2]["proof"]["z"]
    z[1] = ("1" if z[1][0] != "1" else "2") + z[1][1:]
    with pytest.raises(SecretRefused) as bad:
        seq.cast(aid, payload, sign_p256(keys[d], signing_message(payload)), LOG_SIGNER)
    assert bad.value.code is Refusal.BAD_BALLOT_PROOF
    assert (bad.value.params["item"], bad.value.params["option"]) == ("1", 2)
    assert bad.value.params["proof"] == "option"
    # proofs made for another head do not move to this one
    moved, _ = encrypted_payload(keys[a], c.key, origin, a, 1, shapes, {"1": "agree"})
    moved = dict(moved, head=d, key=payload["key"])
    with pytest.raises(SecretRefused) as stolen:
        seq.cast(aid, moved, sign_p256(keys[d], signing_message(moved)), LOG_SIGNER)
    assert stolen.value.code is Refusal.BAD_BALLOT_PROOF
    # an open ballot in a secret assembly
    with pytest.raises(SecretRefused) as mode:
        seq.cast(aid, *signed_ballot(origin, d, keys[d], 1, {"1": "agree"}), LOG_SIGNER)
    assert mode.value.code is Refusal.WRONG_BALLOT_MODE
    assert size() == before
    # the casting rules decide which ballot counts without reading it: no revote here
    with pytest.raises(CastRefused):
        seq.cast(aid, *encrypted_payload(keys[a], c.key, origin, a, 2, shapes,
                                         {"1": "oppose"}), LOG_SIGNER)
    assert size() == before
    # the proofs were checked before the lock (with the key last read) and not again: one
    # digest per valid ballot (a's first, b's, a's refused revote), none for the bad ones
    assert len(castpath.ELECTION_HINTS) == 1 and len(castpath.VERIFIED_PROOFS) == 3

    session.rollback()
    begin_write(session)
    committee.append_closing(session, aid, now=CLOSES)
    session.commit()
    out = export_bundle(session, aid, tmp_path / "s.zip", LOG_SIGNER)
    assert out
    report = verify_bundle(tmp_path / "s.zip", workers=1, log_key=LOG_SIGNER.verifier.vkey)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["ballots"] == 2 and report.info["heads_voted"] == 2
    text = b"".join(logstore.iter_entries(session, aid))
    assert b'"choices"' not in text and canonical.encode("agree") not in text


def test_encrypted_paper_ballots_and_precedence(session, engine, tmp_path: Path) -> None:
    from ledger.store import writer
    from ownervote.services import paper_ballots
    from tests.support.sample_log import committee_sign

    aid, origin = _draft(session)
    c = full_ceremony(origin, 2)
    for data in c.files():
        _submit(session, aid, data)
    session.get(Assembly, aid).status = "noticed"
    _publish(session, aid)
    adef, roster = published(session, aid)
    head = sorted(roster.heads)[0]
    member, der, kid = device()
    session.commit()
    begin_write(session)
    enrolment.enroll_official(session, aid, LOG_SIGNER, der, "m1", now=REAL)
    k, kder, _ = device()
    enrolment.enroll_key(session, aid, LOG_SIGNER, head, kder, voter="v0", now=REAL)
    session.commit()

    def paper(choices: dict, shapes: dict) -> dict:
        session.rollback()
        enc = encrypted_payload(member, c.key, origin, head, 1, shapes, choices)[0]
        payload = paper_ballots.prepare(session, aid, head_id=head, choices=None,
                                        official=kid, now=REAL,
                                        encrypted=enc["encrypted"], seq=1, nonce=enc["nonce"])
        return dict(payload, scan_sha256="00" * 32)

    # the phone's layout has no "invalid": a paper ballot needs the paper layout
    with pytest.raises(SecretRefused) as short:
        paper({"2": [0]}, layout(adef.items.values()))
    assert short.value.params["reason"] == "wrong_option_count"
    payload = paper({"1": "abstain", "2": "invalid"}, layout(adef.items.values(), paper=True))
    session.rollback()
    begin_write(session)
    writer.enter_paper_ballot(session, aid, payload, committee_sign(member, "paper_ballot",
                                                                      payload), now=REAL)
    session.commit()
    # first_cast: the paper ballot counts, the owner's electronic one on item 2 is refused
    seq = sequencer.Sequencer(make_session_factory(engine))
    with pytest.raises(CastRefused) as second:
        seq.cast(aid, *encrypted_payload(k, c.key, origin, head, 2, layout(adef.items.values()),
                                         {"2": [1]}), LOG_SIGNER)
    assert second.value.reason.value == "paper_already_counted"
    session.rollback()
    assert writer.counted_votes(session, aid)[(head, "2")].value == "sealed"
    session.rollback()
    begin_write(session)
    committee.append_closing(session, aid, now=CLOSES, signer=LOG_SIGNER)
    session.commit()
    export_bundle(session, aid, tmp_path / "p.zip", LOG_SIGNER)
    report = verify_bundle(tmp_path / "p.zip", workers=1, log_key=LOG_SIGNER.verifier.vkey)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["ballots"] == 1


def test_the_command_line_records_documents_and_lists_secrecy(session, db_url, tmp_path: Path
                                                              ) -> None:
    from click.testing import CliRunner

    from ledger.keys import write_key_file
    from ownervote.cli import main

    key_file = tmp_path / "log.key"
    write_key_file(key_file, LOG_SIGNER)
    env = {"OWNERVOTE_DATABASE_URL": db_url, "OWNERVOTE_LOG_KEY_FILE": str(key_file),
           "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"), "OWNERVOTE_ENV": "test"}
    runner = CliRunner()
    aid, _ = _draft(session)
    r = runner.invoke(main, ["assembly", "trustees", str(aid), "--json"], env=env)
    assert r.exit_code == 0, r.output
    origin = assembly_origin(session, session.get(Assembly, aid), None)
    session.rollback()
    files = full_ceremony(origin, 2).files()
    for n, data in enumerate(files):
        path = tmp_path / f"doc{n}.json"
        path.write_bytes(data)
        r = runner.invoke(main, ["assembly", "trustee-doc", str(aid), str(path)], env=env)
        assert r.exit_code == 0 and "recorded" in r.output, r.output
    r = runner.invoke(main, ["assembly", "trustee-doc", str(aid), str(path)], env=env)
    assert r.exit_code != 0 and "already recorded" in r.output
    r = runner.invoke(main, ["assembly", "trustees", str(aid)], env=env)
    assert "final" in r.output and "election key" in r.output
    r = runner.invoke(main, ["assembly", "list", "--json"], env=env)
    assert [row["ballot_secrecy"] for row in json.loads(r.output)] == ["secret"]
