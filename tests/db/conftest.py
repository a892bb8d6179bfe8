"""Fixtures of the storage and service tests (``tests/db/``).

The database fixtures themselves (``session``, ``engine``, ``db_url``, ``backend``,
``ov_settings``), which run a test on SQLite and on PostgreSQL, are in
``tests/conftest.py``; the stored-log sample is ``tests/support/sample_log.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.store import logstore
from ledger.store.logstore import begin_write
from ledger.store.publish import publish_assembly, published
from tests.support.sample_log import DURING, LOG_SIGNER, make_assembly


@pytest.fixture
def log(session):
    """A published assembly; returns (assembly id, origin, head ids)."""
    aid = make_assembly(session)
    session.commit()
    begin_write(session)
    publish_assembly(
        session,
        aid,
        LOG_SIGNER,
        "https://vote.zhangping.example",
        now=DURING - dt.timedelta(days=2),
    )
    session.commit()
    origin = logstore.get_head(session, aid).origin
    heads = sorted(published(session, aid)[1].heads)
    session.commit()
    return aid, origin, heads
