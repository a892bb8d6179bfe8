"""PDFs of the largest allowed notices do not stall a real ``ownervote serve`` (issue 15 item 6).

Four anonymous ``GET /a/<id>/notice.pdf`` at once, each of another assembly (so that no
rendered PDF is simply taken from the cache), each with a title of 200 characters, an
introduction of 20,000 and items whose descriptions are 20,000 characters long, while
``/healthz`` is asked again and again: every answer of ``/healthz`` comes within 1 s.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import time
import urllib.request

import pytest
from sqlalchemy import select

from identity.store.importer import import_extract
from identity.store.models import Community
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore
from ledger.store.proceedings import ItemSpec, create_assembly, publish_notice
from ownervote.db import make_engine, make_session_factory
from ownervote.migrate import upgrade
from tests.support.castload import extract

#: The bounds of the free-text fields (another change enforces them in forms and the API).
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
PARALLEL = 4


def _prose(n: int, seed: int) -> str:
    sentence = f"第{seed}号事项的说明：业主大会依法表决，请各位业主按时参加投票。"
    return (sentence * (n // len(sentence) + 1))[:n]


def _largest_notices(session, settings, count: int) -> list[int]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    import_extract(session, "长文小区", extract(2, 4), settings=settings)
    session.commit()
    cid = session.scalars(select(Community.id).where(Community.name == "长文小区")).one()
    signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
    ids = []
    for n in range(count):
        items = [ItemSpec(("事" * MAX_TITLE)[:MAX_TITLE - 3] + f"{n}-{k}", 4,
                          _prose(MAX_DESCRIPTION, k)) for k in range(3)]
        a = create_assembly(session, cid, ("会" * MAX_TITLE)[:MAX_TITLE - 2] + f"{n:02d}", items,
                            description=_prose(MAX_DESCRIPTION, n),
                            opens_at=now + dt.timedelta(days=1),
                            closes_at=now + dt.timedelta(days=8))
        session.commit()
        logstore.begin_write(session)
        publish_notice(session, a, signer, ownervote_settings=settings,
                       now=now - dt.timedelta(days=16))
        session.commit()
        ids.append(a.id)
    return ids


def _get(url: str, timeout: float = 120) -> tuple[int, bytes, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read(), time.monotonic() - started


@pytest.mark.parametrize("backend", ["sqlite"])
def test_four_parallel_largest_notice_pdfs_leave_healthz_answering(tmp_path, backend) -> None:
    from tests.support.servers import Server

    server = Server(tmp_path / "instance", f"sqlite:///{tmp_path / 'ov.sqlite3'}", workers=2)
    settings = server.settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            ids = _largest_notices(session, settings, PARALLEL)
        server.start()
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            pdfs = [pool.submit(_get, f"{server.url}/a/{aid}/notice.pdf") for aid in ids]
            health: list[float] = []
            while not all(f.done() for f in pdfs):
                status, _body, took = _get(f"{server.url}/healthz", timeout=30)
                assert status == 200
                health.append(took)
                time.sleep(0.05)
            results = [f.result() for f in pdfs]
        assert all(status == 200 and body.startswith(b"%PDF") for status, body, _ in results)
        assert health, "the PDFs came back before /healthz was asked"
        assert max(health) < 1.0, (f"/healthz took up to {max(health):.2f} s while "
                                   f"{PARALLEL} PDFs rendered; PDFs took "
                                   f"{[round(t, 2) for _, _, t in results]} s")
    finally:
        server.stop()
        engine.dispose()
