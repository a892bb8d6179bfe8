"""The service around the ledger in a real ``ownervote serve``: the timer runs in the workers,
opening and closing an assembly by itself, once whatever the number of workers.

(The timer in-process and the durability check: ``tests/db/test_timer_and_durability.py``;
the answers to a database that cannot be reached: ``tests/web/test_web_database_errors.py``.)
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from ledger.kinds import CLOSED
from ledger.store.models import LedgerEntry
from ownervote.db import make_session_factory
from tests.support.noticed_assembly import noticed_assembly
from voting.store.models import Assembly


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_live_server_opens_and_closes_by_itself(tmp_path, backend) -> None:
    from tests.support.servers import Server

    server = Server(tmp_path / "instance", f"sqlite:///{tmp_path / 'ov.sqlite3'}", workers=2,
                    threads=2, extra_env={"OWNERVOTE_TIMER_SECONDS": "1",
                                          "OWNERVOTE_CHECKPOINT_SECONDS": "1"})
    settings = server.settings()
    from ownervote.db import make_engine
    from ownervote.migrate import upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            aid = noticed_assembly(session, settings, opens_in=dt.timedelta(seconds=3),
                                   closes_in=dt.timedelta(seconds=8))
        server.start()
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            with make_session_factory(engine)() as session:
                status = session.get(Assembly, aid).status
            if status == "closed":
                break
            time.sleep(0.5)
        assert status == "closed", server.log_text()[-2000:]
        with make_session_factory(engine)() as session:
            kinds = list(session.scalars(select(LedgerEntry.kind)
                                         .where(LedgerEntry.assembly_id == aid)))
        assert kinds.count(CLOSED) == 1  # several workers' timers, one close
    finally:
        server.stop()
        engine.dispose()
