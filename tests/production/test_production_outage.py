"""PostgreSQL restarted under load (a THROW-AWAY cluster, never the shared server).

A cluster started for this module by ``postgres.start_throwaway_cluster()`` is
stopped twice while clients cast — ``fast`` (clean shutdown) and ``immediate``
(crash-like, recovery on start) — and started again.  While it is down, a ballot
sent on purpose must be answered ``503`` with ``Retry-After`` and
``{"error": "retry", "message": ...}``; every 503 the clients met had that shape;
afterwards every ballot is in the log exactly once, every receipt verifies and
the bundle verifies.  The cluster runs with ``fsync=off`` (throw-away), which
the service's durability check must report.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest

from tests.support import faults


@pytest.fixture(scope="module")
def cluster() -> str:
    from tests.support.postgres import PostgresUnavailable, start_throwaway_cluster

    try:
        return start_throwaway_cluster()
    except (PostgresUnavailable, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to start a throw-away PostgreSQL cluster: {exc}")
        pytest.skip(f"no throw-away PostgreSQL cluster here: {exc}")


@pytest.fixture
def database_url(cluster: str) -> Iterator[str]:
    from tests.support.postgres import create_database

    url, drop = create_database(cluster, tag="outage_")
    yield url
    try:
        drop()
    except Exception:  # noqa: BLE001 - the cluster may be restarting; it is thrown away
        pass


@pytest.mark.slow
def test_postgres_restarted_under_load(tmp_path, database_url) -> None:
    report = faults.postgres_restarts(tmp_path, database_url, heads=50, per_head=4,
                                      clients=8, workers=2, threads=4, deadline=150)
    assert report.faults == 2, report.to_json()
    for probe in report.probes:  # sent while the database was down
        assert probe["status"] == 503, probe
        assert probe["retry_after"] and probe["retry_after"].isdigit(), probe
        assert probe["json"]["error"] == "retry" and probe["json"]["message"], probe
    assert not report.bad_503, report.bad_503
    assert report.ok, report.to_json()
    assert report.check["in_ledger"] == report.ballots == 202
    assert report.check["receipts_verified"] == report.check["acknowledged"]


def test_durability_check_reports_fsync_off(database_url, tmp_path) -> None:
    from ownervote.commands.serve import durability_problems
    from tests.support.servers import Server

    settings = Server(tmp_path / "instance", database_url).settings()
    problems = durability_problems(dataclasses.replace(settings, database_url=database_url))
    assert any("fsync" in p for p in problems), problems
