"""Throttling within one app (the Flask test client): the limits declared on views, a
device key's ballots counted in their batches, and casting that goes on in memory while
Redis is away.  Counts shared by several app servers through Redis:
``tests/production/test_production_throttle.py``.
"""

from __future__ import annotations

import uuid

import pytest


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
