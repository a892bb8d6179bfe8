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


@pytest.mark.slow
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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_replays_reorders_and_cross_assembly_ballots_over_http(tmp_path, database_url,
                                                               backend) -> None:
    """The same signed ballot sent at once over four connections to three workers lands
    once; a ballot signed with the next number before the current one, or for another
    assembly's log, is refused; the log and bundle stay valid."""
    import json
    import threading

    from tests.support.castload import prepare, presign
    from tests.support.httpload import Conn, post_bytes
    from tests.support.ledgercheck import check_run
    from tests.support.servers import Server

    server = Server(tmp_path / "instance", database_url, workers=3, threads=4)
    first, second = prepare(server.settings(), 12, assemblies=2)
    work = presign(first, 24)  # seq 1 and 2 for each of 12 heads
    other = presign(second, 12)
    server.start()

    def send(aid: int, body: bytes) -> tuple[int, dict]:
        conn = Conn("127.0.0.1", server.port)
        try:
            status, _h, raw = conn.request(post_bytes(
                "127.0.0.1", server.port, f"/api/v1/assemblies/{aid}/ballots", body))
        finally:
            conn.close()
        return status, json.loads(raw)

    try:
        heads = sorted(work)
        reordered = [send(first.assembly_id, work[h][1]) for h in heads[:4]]  # seq 2 first
        crossed = [send(first.assembly_id, other[h][0]) for h in sorted(other)[:4]]
        answers: dict[str, list] = {h: [] for h in heads}
        barrier = threading.Barrier(4 * len(heads))

        def replay(h: str) -> None:
            barrier.wait()
            answers[h].append(send(first.assembly_id, work[h][0]))

        threads = [threading.Thread(target=replay, args=(h,)) for h in heads for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        server.stop()
    assert [s for s, _ in reordered] == [409] * 4 and all(
        b["error"] == "seq_conflict" and b["next_seq"] == 1 for _, b in reordered)
    assert [s for s, _ in crossed] == [422] * 4 and all(
        b["error"] == "wrong_assembly" for _, b in crossed), crossed
    results = []
    for h, got in answers.items():
        statuses = sorted(s for s, _ in got)
        assert statuses[0] == 201 and statuses.count(201) == 1, (h, got)
        assert all(s == 409 and b["error"] == "seq_conflict" for s, b in got if s != 201)
        ok = next(b for s, b in got if s == 201)
        results.append([h, 1, "acknowledged", 201, 0.0, 1, json.dumps(ok), None])
    report = check_run(server, first, results, bundle_dir=tmp_path)
    assert report["ok"], report
    assert report["in_ledger"] == len(heads) and report["bundle_valid"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_request_waiting_for_postgresql_does_not_stop_the_worker(tmp_path, database_url,
                                                                  backend) -> None:
    """One gevent worker; the test holds the log's lock, so a ballot waits for PostgreSQL.
    Meanwhile the same worker still answers other requests (psycopg waits through gevent,
    ownervote.geventpg — the master imported psycopg before the worker was patched); once
    the lock is released the ballot lands."""
    import threading
    import time
    import urllib.request

    from ledger.store import logstore
    from ownervote.db import make_engine, make_session_factory
    from tests.support.castload import prepare, presign
    from tests.support.httpload import Conn, post_bytes
    from tests.support.servers import Server

    server = Server(tmp_path / "instance", database_url, workers=1,
                    extra_env={"OWNERVOTE_WEB_WORKER_CLASS": "gevent"})
    target = prepare(server.settings(), 2)[0]
    body = next(iter(presign(target, 1).values()))[0]
    engine = make_engine(database_url)
    holder = make_session_factory(engine)()
    server.start()
    answer: list[int] = []

    def cast() -> None:
        conn = Conn("127.0.0.1", server.port)
        try:
            answer.append(conn.request(post_bytes(
                "127.0.0.1", server.port, f"/api/v1/assemblies/{target.assembly_id}/ballots",
                body))[0])
        finally:
            conn.close()

    try:
        urllib.request.urlopen(server.url + "/healthz", timeout=30).read()  # the worker is up
        logstore.begin_write(holder)
        logstore.lock_head(holder, target.assembly_id)  # the ballot will wait for this lock
        waiting = threading.Thread(target=cast)
        waiting.start()
        time.sleep(1.0)  # it reached the lock (nothing else holds the worker up)
        assert not answer, "the ballot was answered while its log was locked"
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
            assert r.status == 200  # answered by the same (only) worker meanwhile
        holder.rollback()
        waiting.join(60)
    finally:
        holder.close()
        engine.dispose()
        server.stop()
    assert answer == [201]
