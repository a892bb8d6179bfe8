"""A secret assembly's tally on the server (ledger.store.secrettally), on SQLite and
PostgreSQL: encrypted ballots cast, voting closed, the result refused while fewer than k
trustees have published their shares, then computed from the log's sums and the logged
decryptions — equal to the open tally of the same choices — and the exported bundle, with
its result, verifies (docs/audit-bundle.md §10.2.1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledger import canonical
from ledger.errors import Refusal
from ledger.secret import dkg
from ledger.secret import trustee_docs as td
from ledger.secret.ledgerdocs import SecretRefused, layout
from ledger.secret.parts import make_shares, totals_digest
from ledger.store import castpath, checkpoints, committee, enrolment, proceedings, sequencer
from ledger.store.export import export_bundle
from ledger.store.logstore import begin_write
from ledger.store.publish import assembly_origin, publish_assembly, published
from ledger.store.secrettally import encrypted_tally
from ledger.verifier import verify_bundle
from ownervote.db import make_session_factory
from ownervote.services import owner_assemblies, trustee_documents
from tests.support.sample_log import LOG_SIGNER, device, make_assembly
from tests.support.secret_log import encrypted_payload, secret_settings
from tests.support.trustees import Ceremony, full_ceremony
from voting.ballots import Approval, Choice
from voting.store.models import Assembly
from voting.tally import tally

REAL = dt.datetime.now(dt.UTC)
NOW = REAL - dt.timedelta(days=2)
CLOSES = REAL + dt.timedelta(hours=2)


@pytest.fixture(autouse=True)
def _cold_process():
    castpath.reset()


def _write(session, fn) -> None:
    session.commit()
    begin_write(session)
    try:
        fn()
    except Exception:
        session.rollback()
        raise
    session.commit()


def _decryption(c: Ceremony, trustee: int, origin: str, session, aid: int) -> bytes:
    enc = encrypted_tally(session, aid)
    share = sum(t.poly(trustee) for t in c.world.trustees.values() if t.poly) % dkg.L
    doc = td.Decryption(origin, trustee, totals_digest(origin, c.key, enc.totals),
                        make_shares(origin, trustee, share, enc.totals))
    return td.dumps(td.sign(doc, c.world.trustees[trustee].signing))


def test_the_server_tallies_a_secret_assembly(session, engine, tmp_path: Path) -> None:
    aid = make_assembly(session, secret_settings(3))
    a = session.get(Assembly, aid)
    a.status = "draft"
    a.opens_at, a.closes_at = REAL - dt.timedelta(days=1), CLOSES
    session.commit()
    origin = assembly_origin(session, a, None)
    c = full_ceremony(origin, 3)
    for data in c.files():
        trustee_documents.submit(session, aid, data, base_url=None, now=NOW, actor="test")
    session.get(Assembly, aid).status = "noticed"
    _write(session, lambda: publish_assembly(session, aid, LOG_SIGNER, None, now=NOW))
    adef, roster = published(session, aid)
    heads = sorted(roster.heads)
    shapes = layout(adef.items.values())
    election = adef.items["2"]
    keys = {}

    def enroll() -> None:
        for n, head in enumerate(heads[:4]):
            k, der, _ = device()
            enrolment.enroll_key(session, aid, LOG_SIGNER, head, der, voter=f"v{n}", now=REAL)
            keys[head] = k
        checkpoints.issue_checkpoint(session, aid, LOG_SIGNER)

    _write(session, enroll)
    seq = sequencer.Sequencer(make_session_factory(engine))
    choices = {heads[0]: {"1": "agree", "2": [0]}, heads[1]: {"1": "oppose", "2": []},
               heads[2]: {"1": "agree"}, heads[3]: {"2": [1]}}
    for head, chosen in choices.items():
        seq.cast(aid, *encrypted_payload(keys[head], c.key, origin, head, 1, shapes, chosen),
                 LOG_SIGNER)
    session.rollback()
    # the live figures of a secret vote: who took part, per item (the choices are sealed)
    live = {p.item_id: p.heads for p in owner_assemblies.participation(session, aid)}
    assert live == {"1": 3, "2": 3}
    _write(session, lambda: committee.append_closing(session, aid, now=CLOSES))
    session.get(Assembly, aid).status = "closed"
    session.commit()

    def tally_now() -> None:
        proceedings.tally_assembly(session, session.get(Assembly, aid), LOG_SIGNER,
                                   now=CLOSES + dt.timedelta(minutes=5))

    trustee_documents.submit(session, aid, _decryption(c, 2, origin, session, aid),
                             base_url=None, now=CLOSES, actor="t2")
    with pytest.raises(SecretRefused) as early:  # one of the k = 2 shares so far
        _write(session, tally_now)
    assert early.value.code is Refusal.CEREMONY_NOT_FINAL
    assert early.value.params["phase"] == "decrypting"
    session.get(Assembly, aid).status = "closed"
    session.commit()
    trustee_documents.submit(session, aid, _decryption(c, 3, origin, session, aid),
                             base_url=None, now=CLOSES, actor="t3")
    _write(session, tally_now)

    a = session.get(Assembly, aid)
    votes = {}
    for head, chosen in choices.items():
        for item, value in chosen.items():
            votes[(head, item)] = Choice(value) if isinstance(value, str) else Approval(
                frozenset(election.candidates[i] for i in value))
    opened = tally(roster, adef.items.values(), votes, adef.settings).to_json()
    assert canonical.encode(a.result) == canonical.encode(opened)
    assert export_bundle(session, aid, tmp_path / "s.zip", LOG_SIGNER)
    report = verify_bundle(tmp_path / "s.zip", workers=1, log_key=LOG_SIGNER.verifier.vkey)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["secret_tally"]["trustees_combined"] == [2, 3]
