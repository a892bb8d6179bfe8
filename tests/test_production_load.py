"""Casting through HTTP against several gunicorn workers, with and without SIGKILL.

Short versions of ``bench/faults.py`` (same scenarios, fewer ballots), on SQLite
and on PostgreSQL.  Each starts ``ownervote serve`` in its own process group,
casts real P-256-signed ballots from client processes that retry the *same*
ballot after a broken connection or a 503, and then checks independently of the
server: one chain whose Merkle root is the head's, every receipt handed out
verifies against the newest checkpoint, no acknowledged ballot is missing, no
(head, ballot number) twice, every ballot of the run is in the log exactly once,
and the exported audit bundle passes ``ownervote verify``.  No timing is asserted.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import faults


@pytest.fixture
def database_url(backend: str, tmp_path) -> Iterator[str]:
    """A fresh database for a server subprocess (its own, never shared with other tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ownervote.sqlite3'}"
        return
    from tests.support.postgres import create_database, server_url

    url, drop = create_database(server_url(), tag="load_")
    yield url
    drop()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_many_clients_several_workers_one_chain(tmp_path, database_url, backend) -> None:
    report = faults.concurrency(tmp_path, database_url, backend, heads=48, per_head=4,
                                clients=12, workers=3, threads=4, deadline=120)
    assert report.ok, report.to_json()
    assert report.check["acknowledged"] == 192 and report.check["in_ledger"] == 192
    assert report.check["receipts_verified"] == 192 and report.check["bundle_valid"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_of_the_whole_server_under_load(tmp_path, database_url, backend) -> None:
    report = faults.kills(tmp_path, database_url, backend, n=2, heads=60, per_head=4,
                          clients=8, workers=2, threads=4, deadline=150)
    assert report.faults == 2, report.to_json()  # both kills hit a server under load
    assert report.seen.get("0", 0) > 0  # and the clients saw it go
    assert report.ok, report.to_json()
    check = report.check
    assert check["acknowledged"] + check["in_doubt_committed"] == check["in_ledger"] == 240
    assert check["receipts_verified"] == check["acknowledged"] and check["bundle_valid"]
