"""Throttling is shared by every worker of every app server through Redis.

Two ``ownervote serve`` processes (two "app servers", one database) with the
casting throttle per client address set to 6 per minute and the same Redis:
requests sent to them in turn are counted together, so the 7th is refused with
429, ``Retry-After`` and ``{"error": "throttled", ...}``.  The same run
without Redis shows what the test guards against: each server counts alone
and the 7th and 8th pass.

Redis: the ``redis_url`` fixture (``tests/conftest.py``): ``OWNERVOTE_TEST_REDIS_URL``,
127.0.0.1:6379, or a throw-away ``redis-server``; without one the tests fail, saying
what is missing (never skipped).  Throttling within one app: ``tests/web/test_web_throttle.py``.
"""

from __future__ import annotations

import uuid

from tests.support.httpload import Conn, post_bytes
from tests.support.servers import Server


def _servers(tmp_path, redis_url: str) -> list[Server]:
    from ownervote.migrate import upgrade

    db = f"sqlite:///{tmp_path / 'ownervote.sqlite3'}"
    upgrade(db)
    env = {"OWNERVOTE_REDIS_URL": redis_url, "OWNERVOTE_REDIS_PREFIX": f"t-{uuid.uuid4().hex}",
           "OWNERVOTE_CAST_LIMIT_PER_CLIENT": "6 per minute", "OWNERVOTE_TIMER_SECONDS": "0"}
    return [Server(tmp_path / f"instance-{n}", db, workers=1, threads=2, extra_env=env)
            for n in (1, 2)]


def _cast_in_turn(servers: list[Server], n: int) -> list[tuple[int, dict, str]]:
    out = []
    for i in range(n):
        s = servers[i % len(servers)]
        conn = Conn("127.0.0.1", s.port)
        # an assembly that does not exist: the throttle counts the attempt before the view
        raw = post_bytes("127.0.0.1", s.port, "/api/v1/assemblies/999999/ballots", b"{}")
        status, headers, body = conn.request(raw)
        conn.close()
        out.append((status, headers, body.decode()))
    return out


def test_two_servers_share_the_casting_limit_through_redis(tmp_path, redis_url) -> None:
    import json

    servers = _servers(tmp_path, redis_url)
    try:
        for s in servers:
            s.start()
        answers = _cast_in_turn(servers, 8)
    finally:
        for s in servers:
            s.stop()
    statuses = [a[0] for a in answers]
    assert statuses[:6] == [404] * 6, statuses
    assert statuses[6:] == [429, 429], statuses  # counted across both servers
    for _status, headers, body in answers[6:]:
        data = json.loads(body)
        assert data["error"] == "throttled" and data["message"]
        assert headers["retry-after"].isdigit() and 1 <= int(headers["retry-after"]) <= 60


def test_without_redis_each_server_counts_alone(tmp_path, redis_url) -> None:
    servers = _servers(tmp_path, redis_url)
    for s in servers:
        s.extra_env["OWNERVOTE_REDIS_URL"] = ""  # each worker's memory
    try:
        for s in servers:
            s.start()
        statuses = [a[0] for a in _cast_in_turn(servers, 8)]
    finally:
        for s in servers:
            s.stop()
    assert statuses == [404] * 8, statuses  # 4 each: under each server's own 6


def test_two_servers_share_the_device_key_limit_through_redis(tmp_path, redis_url) -> None:
    """The same limit counted in the batches of two app servers: a head's ballots sent to
    them in turn are counted together (the 4th refused), through Redis."""
    from tests.support.castload import prepare, presign

    servers = _servers(tmp_path, redis_url)
    for s in servers:  # one service: one log key and base URL (the key's name) for both
        s.instance_dir = servers[0].instance_dir
        s.extra_env.update(OWNERVOTE_CAST_LIMIT_PER_KEY="3 per minute",
                           OWNERVOTE_CAST_LIMIT_PER_CLIENT="",
                           OWNERVOTE_BASE_URL="http://ownervote.test")
    target = prepare(servers[0].settings(), 1)[0]
    bodies = next(iter(presign(target, 5).values()))
    statuses = []
    try:
        for s in servers:
            s.start()
        for n, body in enumerate(bodies):
            s = servers[n % 2]
            conn = Conn("127.0.0.1", s.port)
            statuses.append(conn.request(post_bytes(
                "127.0.0.1", s.port, f"/api/v1/assemblies/{target.assembly_id}/ballots",
                body))[0])
            conn.close()
    finally:
        for s in servers:
            s.stop()
    assert statuses == [201, 201, 201, 429, 429], statuses
