"""The log asks its witnesses for cosignatures itself (ownervote.services.witnessing):
cosignatures are stored, a 409 is answered with the proof from the witness's size,
failures back off, and a bad answer stores nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select, update

from identity.store.importer import import_extract
from identity.store.models import Community
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.note import parse_note, verify_cosignature
from ledger.store import logstore
from ledger.store.checkpoints import cosigned_note, latest
from ledger.store.models import WitnessSubmission
from ledger.store.proceedings import ItemSpec, create_assembly, publish_notice
from ownervote.db import make_session_factory
from ownervote.services import witnessing
from ownervote.services.witness import WitnessService
from ownervote.timer import tick
from tests.support.castload import extract
from tests.support.witnessing import witness_key, write_witness_files


def _noticed(session, settings, now: dt.datetime) -> int:
    import_extract(session, "见证小区", extract(3, 6), settings=settings)
    session.commit()
    cid = session.scalars(select(Community.id).where(Community.name == "见证小区")).one()
    a = create_assembly(session, cid, "见证小区业主大会", [ItemSpec("选聘物业服务企业", 4)],
                        opens_at=now - dt.timedelta(minutes=1),
                        closes_at=now + dt.timedelta(hours=1))
    session.commit()
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    logstore.begin_write(session)
    publish_notice(session, a, signer, ownervote_settings=settings, now=now - dt.timedelta(days=16))
    session.commit()
    return a.id


class Witness:
    """A witness service in this process, reached through ``post``; can be switched off."""

    def __init__(self, tmp_path, settings) -> None:
        log_key = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
        self.key = witness_key()
        paths = write_witness_files(tmp_path, key=self.key,
                                    logs_text=log_key.verifier.vkey + "\n")
        self.service = WitnessService.open(*paths)
        self.requests: list[bytes] = []
        self.answer_with: tuple[int, bytes] | None = None
        self.reachable = True

    def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        assert url == "http://witness.test/add-checkpoint"
        if not self.reachable:
            raise ConnectionRefusedError("connection refused")
        self.requests.append(body)
        if self.answer_with is not None:
            return self.answer_with
        answer = self.service.add_checkpoint(body)
        return answer.status, answer.body.encode()

    def settings(self, settings):
        return dataclasses.replace(
            settings, witnesses=f"http://witness.test {self.key.verifier.vkey}")


def _cosigned_by(session, assembly_id: int, witness: Witness) -> int | None:
    row = latest(session, assembly_id)
    note = parse_note(cosigned_note(session, row))
    for s in note.signatures:
        if s.name == witness.key.verifier.name:
            verify_cosignature(note.text, s, witness.key.verifier)
            return row.size
    return None


def test_the_timer_has_each_new_checkpoint_cosigned(engine, session, ov_settings, tmp_path,
                                                    monkeypatch) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    aid = _noticed(session, ov_settings, now)
    witness = Witness(tmp_path, ov_settings)
    settings = witness.settings(ov_settings)
    # the timer asks with the default poster: this witness, in this process
    monkeypatch.setattr(witnessing.request_cosignatures, "__defaults__",
                        (None, witness.post))
    factory = make_session_factory(engine)

    report = tick(factory, settings, now=now)
    assert report.opened == [aid]
    assert [o.cosigned for o in report.witnessed] == [True]
    opened_size = _cosigned_by(session, aid, witness)
    assert opened_size is not None and witness.requests[0].startswith(b"old 0\n\n")
    session.commit()

    # nothing new: the witness is not asked again
    assert tick(factory, settings, now=now + dt.timedelta(seconds=30)).witnessed == []

    # the witness restarts from scratch as far as the log knows (its record is lost):
    # the log sends old 0, gets 409 with the witness's size and sends the proof from it
    session.execute(update(WitnessSubmission).values(known_size=0))
    session.commit()
    later = now + dt.timedelta(hours=2)  # voting closes: a closing checkpoint
    report = tick(factory, settings, now=later)
    assert report.closed == [aid]
    assert [o.cosigned for o in report.witnessed] == [True]
    assert witness.requests[-2].startswith(b"old 0\n\n")
    assert witness.requests[-1].startswith(f"old {opened_size}\n".encode())
    closing = _cosigned_by(session, aid, witness)
    assert closing is not None and closing > opened_size
    session.commit()


def test_failures_back_off_and_a_bad_answer_stores_nothing(engine, session, ov_settings,
                                                           tmp_path) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    aid = _noticed(session, ov_settings, now)
    witness = Witness(tmp_path, ov_settings)
    settings = witness.settings(ov_settings)
    factory = make_session_factory(engine)
    tick(factory, dataclasses.replace(settings, witnesses=""), now=now)  # opened, no witness

    witness.reachable = False
    (outcome,) = witnessing.request_cosignatures(factory, settings, now, post=witness.post)
    assert outcome.status is None and "unreachable" in outcome.error
    # 30 s back-off, then 60 s
    assert witnessing.request_cosignatures(factory, settings, now + dt.timedelta(seconds=20),
                                           post=witness.post) == []
    (outcome,) = witnessing.request_cosignatures(factory, settings,
                                                 now + dt.timedelta(seconds=31),
                                                 post=witness.post)
    assert outcome.status is None
    assert witnessing.request_cosignatures(factory, settings, now + dt.timedelta(seconds=80),
                                           post=witness.post) == []

    witness.reachable = True
    witness.answer_with = (200, "\u2014 someone.else/w AAAA\n".encode())
    (outcome,) = witnessing.request_cosignatures(factory, settings,
                                                 now + dt.timedelta(seconds=100),
                                                 post=witness.post)
    session.commit()
    assert not outcome.cosigned and _cosigned_by(session, aid, witness) is None
    session.commit()
    record = session.scalars(select(WitnessSubmission)
                             .execution_options(populate_existing=True)).one()
    assert record.failures == 3 and record.last_status == 200

    witness.answer_with = None
    (outcome,) = witnessing.request_cosignatures(factory, settings,
                                                 now + dt.timedelta(seconds=400),
                                                 post=witness.post)
    session.commit()  # a new snapshot
    assert outcome.cosigned and _cosigned_by(session, aid, witness) is not None
    record = session.scalars(select(WitnessSubmission)
                             .execution_options(populate_existing=True)).one()
    assert record.failures == 0


def test_the_witness_policy_is_fixed_with_the_notice_and_verified(engine, session, ov_settings,
                                                                  tmp_path) -> None:
    from ledger.verifier import verify_bundle
    from ownervote.services import bundles

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    witness = Witness(tmp_path, ov_settings)
    settings = witness.settings(ov_settings)
    aid = _noticed(session, settings, now)  # the notice fixes the policy: 1 of 1
    factory = make_session_factory(engine)
    tick(factory, dataclasses.replace(settings, witnesses=""), now=now)  # opened, not asked

    out = tmp_path / "before.zip"
    bundles.export(session, settings, aid, out)
    session.commit()
    report = verify_bundle(out)
    assert report.info["witness_policy"]["quorum"] == 1
    assert report.checks["witness policy"], "a newest checkpoint without cosignature fails"
    assert "requires 1 of 1 (street-office.example/witness)" in report.checks[
        "witness policy"][0]

    witnessing.request_cosignatures(factory, settings, now, post=witness.post)
    session.commit()
    out = tmp_path / "after.zip"
    bundles.export(session, settings, aid, out)
    session.commit()
    report = verify_bundle(out)
    assert report.valid, report.checks
    assert report.info["policy_cosigners"] == ["street-office.example/witness"]
