"""The service around the ledger: the timer, the durability check, database-outage answers.

* ``ownervote.timer.tick`` opens an assembly when due, signs a checkpoint for an
  open log that grew once the last one is older than the interval (and not
  before), and closes the assembly when due — on both databases; and a real
  ``ownervote serve`` does it by itself (the timer runs in the workers);
* ``durability_problems``: SQLite as ownervote opens it is durable (WAL,
  ``synchronous=FULL``);
* the web layer answers a database it cannot reach with ``503``,
  ``Retry-After`` and ``{"error": "retry", "message": ...}`` (JSON under
  ``/api/``, a page elsewhere), and other database errors with a plain 500.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from identity.store.importer import import_extract
from identity.store.models import Community
from ledger.ballots import spki
from ledger.entries import CLOSED
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore, writer
from ledger.store.models import LedgerEntry
from ledger.store.proceedings import ItemSpec, create_assembly, publish_notice
from ledger.store.publish import published
from ownervote.commands.serve import durability_problems
from ownervote.db import make_session_factory
from ownervote.timer import tick
from tests.support.castload import device_key, extract
from voting.store.models import Assembly


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
        writer.enroll_key(session, aid, signer, heads[n], key, voter=f"v-{n}", now=at)
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


# -- the web layer when the database is away ---------------------------------------------------


@pytest.fixture
def unreachable_app(ov_settings):
    """The app pointed at a PostgreSQL address nobody listens on."""
    import dataclasses

    from tests.support.servers import free_port
    from web import create_app

    port = free_port()
    settings = dataclasses.replace(
        ov_settings, database_url=f"postgresql+psycopg://nobody@127.0.0.1:{port}/gone")
    app = create_app(settings, TESTING=True, RATELIMIT_ENABLED=False)
    yield app
    app.extensions["ownervote.engine"].dispose()


@pytest.mark.parametrize("backend", ["sqlite"])  # the database is unreachable either way
def test_an_unreachable_database_is_a_retryable_503(unreachable_app, backend) -> None:
    client = unreachable_app.test_client()
    r = client.post("/api/v1/assemblies/1/ballots", json={"payload": {}, "signature": ""})
    assert r.status_code == 503, r.get_data(as_text=True)[:300]
    assert r.headers["Retry-After"].isdigit()
    body = r.get_json()
    assert body["error"] == "retry" and body["message"] and body["retry_after"] >= 1
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert page.mimetype == "text/html"


def test_other_database_errors_stay_500(app) -> None:
    @app.get("/_test/integrity")
    def _broken():
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    r = app.test_client().get("/_test/integrity")
    assert r.status_code == 500 and "Retry-After" not in r.headers


def test_numbers_and_characters_the_database_cannot_take_are_refused_first(client) -> None:
    # beyond PostgreSQL's integer / SQLite's 64-bit binding: nothing has that id
    for path in ("/a/2147483648", "/api/v1/assemblies/99999999999999999999/ballot-template",
                 "/audit/assemblies/1/checkpoints/9223372036854775808/note"):
        r = client.get(path)
        assert r.status_code == 404, path
    assert client.get("/committee/review/R%00x/approve").status_code in (404, 405)
    r = client.get("/verify", query_string={"next": "a\x00b"})
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)
    r = client.post("/api/v1/assemblies/1/ballots", data=b'{"payload": "\\u0000"}',
                    content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"] == "malformed"
