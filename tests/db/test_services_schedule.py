"""The timer's round (``ownervote.services.schedule.run_due``): one assembly's trouble does
not stop the others, and what failed is rolled back and done on a later round."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from identity.store.importer import import_extract
from identity.store.models import Community
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore
from ledger.store.proceedings import ItemSpec, create_assembly, publish_notice
from ownervote.db import make_session_factory
from ownervote.services import schedule
from ownervote.timer import tick
from tests.support.castload import extract
from voting.store.models import Assembly


def _noticed(session, settings, name: str, now: dt.datetime) -> int:
    import_extract(session, name, extract(3, 6), settings=settings)
    session.commit()
    cid = session.scalars(select(Community.id).where(Community.name == name)).one()
    a = create_assembly(session, cid, f"{name}业主大会", [ItemSpec("选聘物业服务企业", 4)],
                        opens_at=now - dt.timedelta(minutes=1),
                        closes_at=now + dt.timedelta(hours=1))
    session.commit()
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    logstore.begin_write(session)
    publish_notice(session, a, signer, ownervote_settings=settings, now=now - dt.timedelta(days=16))
    session.commit()
    return a.id


def test_one_assemblys_trouble_does_not_stop_the_others(engine, session, ov_settings,
                                                        monkeypatch) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = _noticed(session, ov_settings, "甲小区", now)
    second = _noticed(session, ov_settings, "乙小区", now)
    real = schedule.open_voting

    def failing(s, a, *args, **kwargs):
        real(s, a, *args, **kwargs)  # changes made, then the trouble: all of it rolled back
        if a.id == first:
            raise RuntimeError("disk full")

    monkeypatch.setattr(schedule, "open_voting", failing)
    factory = make_session_factory(engine)
    report = tick(factory, ov_settings, now=now)
    assert report.failed == [(first, "RuntimeError: disk full")]
    assert report.opened == [second]
    session.expire_all()
    assert session.get(Assembly, first).status == "noticed"
    assert session.get(Assembly, second).status == "open"
    session.commit()

    monkeypatch.setattr(schedule, "open_voting", real)
    later = tick(factory, ov_settings, now=now + dt.timedelta(seconds=30))
    assert later.opened == [first] and not later.failed
