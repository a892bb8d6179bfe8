"""The production tests: real ``ownervote serve`` processes (gunicorn, gevent workers) under
load, SIGKILL, PostgreSQL restarts and throttling shared through Redis.

Servers are started by ``tests.support.servers``; PostgreSQL and Redis are found or
started by ``tests/support/postgres.py`` and ``tests/support/redis.py`` (fixtures
``db_url``/``backend`` and ``redis_url`` of ``tests/conftest.py``).  Every test of this
folder is marked ``production`` (``pytest -m production``, or ``-m "not production"``
to leave them out).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.production)
