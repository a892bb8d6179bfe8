"""The service around the ledger, in-process (SQLite and PostgreSQL): ``ownervote.timer.tick``
opens an assembly when due, signs a checkpoint for an open log that grew once the last one
is older than the interval (and not before), and closes the assembly when due; and
``durability_problems``: SQLite as ownervote opens it is durable (WAL,
``synchronous=FULL``).  A live server's own timer: ``tests/production/test_production_service.py``.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from ledger.ballots import spki
from ledger.keys import load_or_create_log_key
from ledger.kinds import CLOSED
from ledger.store import enrolment, logstore
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from ownervote.commands.serve import durability_problems
from ownervote.db import make_session_factory
from ownervote.timer import tick
from tests.support.castload import device_key
from tests.support.noticed_assembly import noticed_assembly
from voting.store.models import Assembly


def test_timer_opens_checkpoints_and_closes(engine, session, ov_settings) -> None:
    aid = noticed_assembly(session, ov_settings, opens_in=dt.timedelta(minutes=-5),
                           closes_in=dt.timedelta(hours=1))
    factory = make_session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    first = tick(factory, ov_settings, now=now)
    assert first.opened == [aid] and not first.failed
    session.expire_all()
    assert session.get(Assembly, aid).status == "open"
    session.commit()

    # the log grows (a key is enrolled); its newest checkpoint is the notice's, days old
    signer = load_or_create_log_key(ov_settings.log_key_file)
    heads = sorted(published(session, aid)[1].heads)
    session.commit()

    def enroll(n: int, at: dt.datetime) -> int:
        logstore.begin_write(session)
        key = spki(device_key(random.Random(n)).public_key())
        enrolment.enroll_key(session, aid, signer, heads[n], key, voter=f"v-{n}", now=at)
        session.commit()
        size = logstore.get_head(session, aid).size
        session.commit()
        return size

    size = enroll(0, now + dt.timedelta(seconds=1))
    assert tick(factory, ov_settings, now=now + dt.timedelta(seconds=10)).checkpoints == [
        (aid, size)]
    size = enroll(1, now + dt.timedelta(seconds=20))
    # grew again, but the newest checkpoint is younger than the interval (300 s): not yet
    assert tick(factory, ov_settings, now=now + dt.timedelta(seconds=30)).checkpoints == []
    assert tick(factory, ov_settings, now=now + dt.timedelta(minutes=10)).checkpoints == [
        (aid, size)]
    # nothing new: nothing signed
    assert tick(factory, ov_settings, now=now + dt.timedelta(minutes=20)).checkpoints == []

    closing = tick(factory, ov_settings, now=now + dt.timedelta(hours=2))
    assert closing.closed == [aid] and not closing.failed
    session.expire_all()
    assert session.get(Assembly, aid).status == "closed"
    kinds = session.scalars(select(LedgerEntry.kind).where(LedgerEntry.assembly_id == aid))
    assert CLOSED in set(kinds)
    again = tick(factory, ov_settings, now=now + dt.timedelta(hours=3))
    assert again.closed == [] and again.opened == [] and not again.failed


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL: test_production_outage
def test_sqlite_is_durable_as_opened(ov_settings, backend) -> None:
    assert durability_problems(ov_settings) == []
