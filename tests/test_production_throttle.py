"""Throttling is shared by every worker of every app server through Redis.

Two ``ownervote serve`` processes (two "app servers", one database) with the
casting throttle per client address set to 6 per minute and the same Redis:
requests sent to them in turn are counted together, so the 7th is refused with
429, ``Retry-After`` and ``{"error": "throttled", ...}``.  The same run
without Redis shows what the test guards against: each server counts alone
and the 7th and 8th pass.

Redis: ``OWNERVOTE_TEST_REDIS_URL`` or 127.0.0.1:6379.  Outside CI the test is
skipped when no Redis answers; in CI (``CI`` set) that is a failure.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.support.httpload import Conn, post_bytes
from tests.support.servers import Server

REDIS = os.environ.get("OWNERVOTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs Redis; {REDIS} does not answer: {exc}")
        pytest.skip(f"no Redis at {REDIS}: {exc}")
    return REDIS


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


@pytest.fixture
def throttled_app(ov_settings):
    """The app with throttling on (each worker's memory: no Redis in ``ov_settings``)."""
    from web import create_app

    application = create_app(ov_settings, TESTING=True, WTF_CSRF_ENABLED=False)
    yield application
    application.extensions["ownervote.engine"].dispose()


def test_limits_declared_on_views_hold(throttled_app) -> None:
    """Staff sign-in (10 a minute) and owner verification (20 a minute) refuse the next
    attempt with 429 — checked by the views' own limits, since the app keeps no
    before-request pass for default limits (web.extensions)."""
    client = throttled_app.test_client()
    form = {"username": "nobody", "password": "wrong", "code": "000000"}
    signs = [client.post("/staff/sign-in", data=form).status_code for _ in range(11)]
    assert signs[:10] == [200] * 10 and signs[10] == 429, signs
    assert client.get("/staff/sign-in").status_code == 200  # only POSTs are counted
    matches = [client.post("/api/v1/verification/match", json={}).status_code
               for _ in range(21)]
    assert 429 not in matches[:20] and matches[20] == 429, matches
    answer = client.post("/api/v1/verification/match", json={})
    assert answer.status_code == 429 and answer.get_json()["error"] == "throttled"
    assert int(answer.headers["Retry-After"]) >= 1
    assert all(client.get("/healthz").status_code == 200 for _ in range(50))


def test_a_device_keys_ballots_are_counted_in_their_batches(tmp_path) -> None:
    """Per device key (here 3 a minute, each worker's memory as in the demo): counted by
    the ballot's batch once its signature was checked.  A head's 4th ballot is refused
    with 429 before the log's lock — nothing written, its number still free — while
    another head's go on; a ballot with a bad signature is not counted."""
    import json

    from ledger import canonical
    from ownervote.config import load_settings
    from ownervote.migrate import upgrade
    from tests.support.castload import prepare, presign
    from web import create_app

    db = f"sqlite:///{tmp_path / 'ownervote.sqlite3'}"
    upgrade(db)
    env = {"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"), "OWNERVOTE_DATABASE_URL": db,
           "OWNERVOTE_ENV": "development", "OWNERVOTE_BASE_URL": "http://ownervote.test",
           "OWNERVOTE_CAST_LIMIT_PER_KEY": "3 per minute", "OWNERVOTE_TIMER_SECONDS": "0"}
    target = prepare(load_settings(env), 2)[0]
    first, second = (bodies for _h, bodies in sorted(presign(target, 10).items()))
    app = create_app(load_settings(env), TESTING=True)
    client = app.test_client()
    url = f"/api/v1/assemblies/{target.assembly_id}/ballots"

    def cast(body: bytes) -> tuple[int, dict]:
        r = client.post(url, data=body, content_type="application/json")
        return r.status_code, r.get_json()

    try:
        forged = json.loads(first[0])
        forged["signature"] = canonical.b64url(bytes(64))
        assert cast(json.dumps(forged).encode())[0] == 422  # bad signature: not counted
        answers = [cast(body) for body in first]
        others = [cast(body) for body in second[:3]]
    finally:
        app.extensions["ownervote.engine"].dispose()
    assert [s for s, _ in answers] == [201, 201, 201, 429, 429], answers
    assert answers[3][1]["error"] == "throttled"
    assert [s for s, _ in others] == [201, 201, 201]


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


def test_casting_goes_on_in_memory_while_redis_is_away(tmp_path, monkeypatch) -> None:
    """Redis does not answer (nothing listens on its port): the first batch's count fails
    over to the worker's memory, later batches do not try Redis again for a while (no
    ballot waits for it), and the limit (here 2 a minute) still holds, per worker."""
    import socket

    from ownervote.config import load_settings
    from ownervote.migrate import upgrade
    from tests.support.castload import prepare, presign
    from web import create_app, throttle

    monkeypatch.setattr(throttle, "_redis_down_until", 0.0)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'ownervote.sqlite3'}"
    upgrade(db)
    env = {"OWNERVOTE_INSTANCE_DIR": str(tmp_path / "instance"), "OWNERVOTE_DATABASE_URL": db,
           "OWNERVOTE_ENV": "development", "OWNERVOTE_BASE_URL": "http://ownervote.test",
           "OWNERVOTE_REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "OWNERVOTE_REDIS_PREFIX": f"t-{uuid.uuid4().hex}",
           "OWNERVOTE_CAST_LIMIT_PER_KEY": "2 per minute", "OWNERVOTE_TIMER_SECONDS": "0"}
    target = prepare(load_settings(env), 1)[0]
    bodies = next(iter(presign(target, 3).values()))
    app = create_app(load_settings(env), TESTING=True)
    tried: list[str] = []
    counts = throttle._counts  # noqa: SLF001

    def watched(storage, keys):
        tried.append(type(storage).__name__)
        return counts(storage, keys)

    monkeypatch.setattr(throttle, "_counts", watched)
    client = app.test_client()
    try:
        statuses = [client.post(f"/api/v1/assemblies/{target.assembly_id}/ballots",
                                data=body, content_type="application/json").status_code
                    for body in bodies]
    finally:
        app.extensions["ownervote.engine"].dispose()
    assert statuses == [201, 201, 429], statuses
    assert tried == ["RedisStorage", "MemoryStorage", "MemoryStorage", "MemoryStorage"], tried
