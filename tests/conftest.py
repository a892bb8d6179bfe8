"""Shared fixtures.

Tests that take ``session``, ``engine`` or ``db_url`` (or ``ov_settings``, ``app``,
``client``, which use them) run twice: on SQLite and on a real PostgreSQL server
(see ``tests/support/postgres.py``), and are marked ``db``.  The schema comes from
the Alembic migrations, not ``create_all``, so the migrations are tested by every
database test.  ``redis_url``: a Redis found or started by ``tests/support/redis.py``.
Each folder's ``conftest.py`` adds the fixtures and markers of its own tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ownervote.db import make_engine, make_session_factory
from ownervote.migrate import upgrade
from ownervote.models import metadata

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    from tests.support.postgres import PostgresUnavailable, create_database, server_url

    try:
        server = server_url()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url, drop = create_database(server, tag=f"{worker}_")
    upgrade(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis that answers PING: ``OWNERVOTE_TEST_REDIS_URL``, 127.0.0.1:6379, or a throw-away
    ``redis-server`` of this test process (``tests/support/redis.py``).  No Redis to be had
    fails the test with what is missing; it is never skipped."""
    from tests.support.redis import RedisUnavailable, server_url

    try:
        return server_url()
    except RedisUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def _postgres_engine(_postgres_database: str) -> Iterator[Engine]:
    engine = make_engine(_postgres_database)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated database used by this test alone."""
    if backend == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
    else:
        engine = request.getfixturevalue("_postgres_engine")
        _truncate_all(engine)
        yield str(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def engine(db_url: str, backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if backend == "postgresql":
        yield request.getfixturevalue("_postgres_engine")
        return
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as s:
        yield s


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``db``: a test that runs once per backend (it takes ``backend``, directly or through
    ``session``/``engine``/``db_url``/``ov_settings``/``app``)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") in BACKENDS:
            item.add_marker(pytest.mark.db)


@pytest.fixture
def ov_settings(db_url: str, tmp_path: Path):
    """ownervote Settings for a test: its own instance folder, fixed test keys."""
    import base64

    from ownervote.config import load_settings

    def key(n: int) -> str:
        return base64.urlsafe_b64encode(bytes([n]) * 32).decode()

    return load_settings({
        "OWNERVOTE_ENV": "test",
        "OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"),
        "OWNERVOTE_DATABASE_URL": db_url,
        "OWNERVOTE_SECRET_KEY": key(1),
        "OWNERVOTE_ID_HASH_KEY": key(2),
        "OWNERVOTE_PII_KEYS": "t1:" + key(3),
        "OWNERVOTE_BASE_URL": "http://ownervote.test",
    })


@pytest.fixture
def app(ov_settings):
    from web import create_app

    application = create_app(ov_settings, TESTING=True, RATELIMIT_ENABLED=False)
    yield application
    application.extensions["ownervote.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()
