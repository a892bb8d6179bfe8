"""Canaries: the library internals ownervote relies on are still where it reaches for them.

Four libraries are used below their documented surface, each for a measured reason,
and each has an upper bound in ``pyproject.toml``.  When an upgrade moves one of these
internals, the test named for it fails here, loudly and by name, instead of the
server silently losing what the internal gave it:

* psycopg — ``ownervote.geventpg`` replaces ``psycopg.waiting.wait`` in gevent workers
  (so a worker waiting for PostgreSQL serves its other requests);
* Flask-Limiter / limits — ``web.throttle`` counts a batch's ballots in the limiter's
  storage (``limiter.limiter.storage``, Redis pipelines on its connection and keys);
* Flask — ``web.appclass.OwnervoteFlask`` overrides ``Flask.ensure_sync`` to remember
  its answer per function;
* SQLAlchemy — the casting path (``ledger.store.rawcursor``) and the bulk import
  (``identity.store.bulk``) run DB-API cursors of the session's own connection
  (``connection.driver_connection``) and ask the dialect ``is_disconnect``.
"""

from __future__ import annotations

import inspect

import pytest


def test_psycopg_connections_call_the_wait_function_through_the_waiting_module() -> None:
    """``geventpg.use_in_this_worker`` assigns ``psycopg.waiting.wait``: psycopg must look
    it up there at each wait (not keep its own reference taken at import)."""
    import psycopg.connection
    from psycopg import errors, waiting

    assert callable(waiting.wait) and hasattr(waiting, "DefaultSelector")
    assert {"READY_NONE", "READY_R", "READY_W", "WAIT_R", "WAIT_W"} <= set(dir(waiting))
    assert hasattr(errors, "_WaitTimeout")
    source = inspect.getsource(psycopg.connection)
    assert "waiting.wait(" in source, "psycopg no longer calls waiting.wait(...) at each wait"
    assert "from .waiting import wait\n" not in source


def test_flask_limiter_exposes_its_storage_as_web_throttle_uses_it(ov_settings) -> None:
    from web import create_app
    from web.extensions import limiter

    throttled = create_app(ov_settings, TESTING=True)  # the limiter on, as in production
    with throttled.app_context():
        storage = limiter.limiter.storage  # what web.throttle._count reads
    throttled.extensions["ownervote.engine"].dispose()
    for method in ("incr", "get_expiry", "clear"):
        assert callable(getattr(storage, method, None)), method
    from limits import RateLimitItemPerMinute

    item = RateLimitItemPerMinute(5)
    key = item.key_for("canary", "one")  # web.throttle builds its keys this way
    assert isinstance(key, str) and "canary" in key
    assert isinstance(item.get_expiry(), int) and item.amount == 5


def test_limits_redis_storage_has_the_connection_and_key_prefix_web_throttle_pipelines_on(
) -> None:
    from limits.storage import RedisStorage

    for attribute in ("get_connection", "prefixed_key"):
        assert callable(getattr(RedisStorage, attribute, None)), attribute


def test_flask_asks_ensure_sync_for_every_view_and_hook(app) -> None:
    """OwnervoteFlask remembers ``ensure_sync``'s answer; Flask must still route every view
    and hook through it (else the memo is dead code and the saving is gone)."""
    from flask import Flask

    from web.appclass import OwnervoteFlask

    assert "ensure_sync" in Flask.__dict__
    params = list(inspect.signature(Flask.ensure_sync).parameters)
    assert params == ["self", "func"]
    assert isinstance(app, OwnervoteFlask)
    before = len(app._sync)  # noqa: SLF001 - the memo under test
    app.test_client().get("/healthz")
    assert len(app._sync) > before  # noqa: SLF001


def test_sqlalchemy_gives_the_driver_connection_and_disconnect_test(session, backend) -> None:
    """``ledger.store.rawcursor`` runs raw cursors on ``conn.connection.driver_connection``
    and classifies errors with ``dialect.is_disconnect(exc, dbapi_connection, cursor)``."""
    conn = session.connection()
    driver = conn.connection.driver_connection
    if backend == "sqlite":
        import sqlite3

        assert isinstance(driver, sqlite3.Connection)
    else:
        import psycopg

        assert isinstance(driver, psycopg.Connection)
    cursor = driver.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchone()[0] == 1
    assert conn.connection.dbapi_connection is not None
    params = list(inspect.signature(conn.dialect.is_disconnect).parameters)
    assert params[:3] == ["e", "connection", "cursor"]


@pytest.mark.parametrize("name", ["psycopg", "flask", "flask-limiter", "limits", "sqlalchemy"])
def test_each_library_whose_internals_are_used_has_an_upper_bound(name: str) -> None:
    import re
    import tomllib
    from pathlib import Path

    project = tomllib.loads(
        (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    # the server's libraries: the "server" extra (the base install is the verifier alone)
    specs = [d for d in project["optional-dependencies"]["server"]
             if re.match(rf"{re.escape(name)}(\[|[<>=!~ ]|$)", d, re.IGNORECASE)]
    assert specs and "<" in specs[0], f"{name}: no upper bound in pyproject.toml ({specs})"
