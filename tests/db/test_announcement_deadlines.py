"""The deadlines the law sets after the close (on SQLite and PostgreSQL).

* the result is due ``announce_within_days`` (default 3) after the close: an assembly
  past it and not announced is overdue (the timer's report, the supervisor's list) until
  the announcement;
* the final announcement is refused before the objection period is over, issued once
  after it as a ``result.final`` ledger entry naming the result and the number of
  objections, and the exported bundle verifies with it; a bundle whose final entry names
  another result, or comes before the period could be over, fails verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from ledger import canonical
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.kinds import FINAL, RESULT
from ledger.replay import MS_PER_DAY, Replayer
from ledger.verifier import verify_bundle
from ownervote.services import bundles, deadlines, proceedings, results, schedule
from tests.support.noticed_assembly import noticed_assembly
from voting.errors import TransitionReason, TransitionRefused
from voting.settings import AssemblySettings
from voting.store.models import Assembly

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _closed(session, ov_settings) -> tuple[int, object]:
    aid = noticed_assembly(session, ov_settings, opens_in=dt.timedelta(days=-1),
                           closes_in=dt.timedelta(hours=-1))
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    a = session.get_one(Assembly, aid)
    proceedings.open_voting(session, aid, signer=signer, now=a.opens_at, actor="test")
    proceedings.close_voting(session, aid, signer=signer, now=a.closes_at, actor="test")
    return aid, signer


def test_the_announcement_is_due_three_days_after_the_close(session, ov_settings) -> None:
    assert AssemblySettings().announce_within_days == 3
    assert "announce_within_days" not in AssemblySettings().to_dict()  # old ledgers unchanged
    assert AssemblySettings.from_dict({"announce_within_days": 5}).to_dict()[
        "announce_within_days"] == 5
    aid, signer = _closed(session, ov_settings)
    a = session.get_one(Assembly, aid)
    deadline = deadlines.announcement_deadline(a, a.closes_at + dt.timedelta(days=2))
    assert deadline is not None and not deadline.overdue
    assert deadline.due == a.closes_at + dt.timedelta(days=3)
    assert deadlines.overdue_announcements(session, NOW) == []  # closed an hour ago
    later = NOW + dt.timedelta(days=3)  # three days and an hour after the close
    overdue = deadlines.overdue_announcements(session, later)
    assert [d.assembly_id for d in overdue] == [aid]
    assert deadlines.overdue_announcements(session, later, [a.community_id + 1000]) == []
    factory = session.get_bind()
    from sqlalchemy.orm import sessionmaker

    report = schedule.run_due(sessionmaker(factory), ov_settings, later)
    assert aid in report.overdue

    proceedings.tally(session, aid, signer=signer, now=later, actor="test")
    assert [d.assembly_id for d in deadlines.overdue_announcements(session, later)] == [aid]
    proceedings.announce(session, aid, now=later, actor="test")
    assert deadlines.overdue_announcements(session, later) == []


def test_the_final_announcement_after_the_objection_period(session, ov_settings,
                                                           tmp_path) -> None:
    aid, signer = _closed(session, ov_settings)
    proceedings.tally(session, aid, signer=signer, now=NOW, actor="test")
    with pytest.raises(TransitionRefused) as before_announcement:
        proceedings.announce_final(session, aid, signer=signer, now=NOW, actor="test")
    assert before_announcement.value.code is TransitionReason.FINAL_AFTER_ANNOUNCEMENT
    a = proceedings.announce(session, aid, now=NOW, actor="test")
    until = a.objection_until
    assert until == NOW + dt.timedelta(days=7)
    with pytest.raises(TransitionRefused) as early:
        proceedings.announce_final(session, aid, signer=signer,
                                   now=until - dt.timedelta(seconds=1), actor="test")
    assert early.value.code is TransitionReason.OBJECTION_PERIOD_OPEN
    from identity.pii import PiiCipher

    results.record_objection(session, aid, text="面积数据有误", cipher=PiiCipher.from_settings(
        ov_settings), now=NOW + dt.timedelta(days=1), actor="test")
    a = proceedings.announce_final(session, aid, signer=signer, now=until, actor="test")
    assert a.final_announced_at == until
    assert results.finally_announced(session, aid).id == aid
    with pytest.raises(TransitionRefused) as again:
        proceedings.announce_final(session, aid, signer=signer, now=until, actor="test")
    assert again.value.code is TransitionReason.FINAL_ALREADY_ISSUED

    out = tmp_path / "bundle.zip"
    bundles.export(session, ov_settings, aid, out)
    report = verify_bundle(out, workers=1)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["final_announced"] is True


def _replayed_final(result_time: int, final_time: int, digest: str | None = None) -> list[str]:
    """Replay only the end of a log: a result and then a final entry (unit-level check)."""
    r = Replayer.__new__(Replayer)
    r.failures, r.failure_count = [], 0
    r.result_index, r.result_doc, r.result_time, r.final_index = 4, {"items": []}, \
        result_time, None

    class _A:
        settings = AssemblySettings(objection_days=7)

    r.assembly = _A()  # type: ignore[assignment]
    good = hashlib.sha256(canonical.encode({"items": []})).hexdigest()
    r._result_final(5, final_time, {"result_sha256": digest or good, "objections": 0},  # noqa: SLF001
                    None)
    return r.failures


def test_the_verifier_checks_the_final_entry() -> None:
    assert FINAL == "result.final" and RESULT == "result.published"
    assert _replayed_final(0, 7 * MS_PER_DAY) == []
    assert "objection period" in _replayed_final(0, 7 * MS_PER_DAY - 1)[0]
    assert "another result" in _replayed_final(0, 7 * MS_PER_DAY, "0" * 64)[0]
