"""Fixtures of the storage and service tests (``tests/db/``).

The database fixtures themselves (``session``, ``engine``, ``db_url``, ``backend``,
``ov_settings``), which run a test on SQLite and on PostgreSQL, are in
``tests/conftest.py``; the stored-log sample is ``tests/support/sample_log.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.ballots import new_nonce
from ledger.store import enrolment, logstore
from ledger.store.logstore import begin_write
from ledger.store.publish import publish_assembly, published
from tests.support.sample_log import DURING, LOG_SIGNER, committee_sign, device, make_assembly


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


@pytest.fixture
def committee(session, log):
    """A committee member's device enrolled in ``log``'s assembly: ``sign(kind, **fields)``
    returns (payload, signature) of a committee entry carrying origin, key id and nonce."""
    aid, origin, _heads = log
    key, spki, key_id = device()
    begin_write(session)
    enrolment.enroll_official(session, aid, LOG_SIGNER, spki, "staff-1", now=DURING)
    session.commit()

    def sign(kind, **fields):
        payload = {"origin": origin, "official": key_id, "nonce": new_nonce(), **fields}
        return payload, committee_sign(key, kind, payload)

    return sign
