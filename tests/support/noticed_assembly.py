"""An assembly whose notice is published and whose voting opens and closes at given offsets
from now, for the tests of the timer (``ownervote.timer``) in-process and in a live server."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from identity.store.importer import import_extract
from identity.store.models import Community
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore
from ledger.store.proceedings import ItemSpec, create_assembly, publish_notice
from tests.support.castload import extract


def noticed_assembly(session, settings, *, opens_in: dt.timedelta, closes_in: dt.timedelta,
                     name: str = "计时测试小区") -> int:
    """A noticed assembly (log published) whose voting opens and closes at the given offsets."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    import_extract(session, name, extract(4, 9), settings=settings)
    session.commit()
    cid = session.scalars(select(Community.id).where(Community.name == name)).one()
    a = create_assembly(session, cid, "计时业主大会", [ItemSpec("选聘物业服务企业", 4)],
                        opens_at=now + opens_in, closes_at=now + closes_in)
    session.commit()
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    logstore.begin_write(session)
    publish_notice(session, a, signer, ownervote_settings=settings,
                   now=now - dt.timedelta(days=16))
    session.commit()
    return a.id
