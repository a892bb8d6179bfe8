"""In production only the reverse proxies (``OWNERVOTE_FORWARDED_ALLOW_IPS``) may say who the
client is and which scheme it used (issue 15, item 10).

A real ``ownervote serve`` in production mode, reached directly from 127.0.0.1:

* when 127.0.0.1 is *not* an allowed proxy, a client that sends a new ``X-Forwarded-For``
  with every request is still one client: the per-address limit (here the casting
  limit per client, the same ``client_key`` as the sign-in limit) stops it, and its
  ``X-Forwarded-Proto: https`` does not make the answer carry HSTS;
* when 127.0.0.1 is the allowed proxy, its ``X-Forwarded-For`` names the clients (each
  counted alone) and its ``X-Forwarded-Proto: https`` is believed.
"""

from __future__ import annotations

import base64
import os
import uuid

from tests.support.httpload import Conn
from tests.support.servers import Server


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _server(tmp_path, redis_url: str, allowed: str) -> Server:
    from ownervote.migrate import upgrade

    db = f"sqlite:///{tmp_path / 'ownervote.sqlite3'}"
    upgrade(db)
    env = {"OWNERVOTE_ENV": "production", "OWNERVOTE_REDIS_URL": redis_url,
           "OWNERVOTE_REDIS_PREFIX": f"t-{uuid.uuid4().hex}",
           "OWNERVOTE_SECRET_KEY": _key(), "OWNERVOTE_ID_HASH_KEY": _key(),
           "OWNERVOTE_PII_KEYS": f"k1:{_key()}", "OWNERVOTE_TIMER_SECONDS": "0",
           "OWNERVOTE_CAST_LIMIT_PER_CLIENT": "6 per minute",
           "OWNERVOTE_FORWARDED_ALLOW_IPS": allowed}
    return Server(tmp_path / "instance", db, workers=1, threads=2, extra_env=env)


def _ask(server: Server, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    body = b"{}" if method == "POST" else b""
    raw = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
           ).encode() + body
    conn = Conn("127.0.0.1", server.port)
    try:
        status, answer_headers, _body = conn.request(raw)
    finally:
        conn.close()
    return status, answer_headers


def _rotating_casts(server: Server, n: int) -> list[int]:
    # an assembly that does not exist: the throttle counts the attempt before the view
    return [_ask(server, "POST", "/api/v1/assemblies/999999/ballots",
                 {"X-Forwarded-For": f"203.0.113.{i + 1}"})[0] for i in range(n)]


def test_a_direct_client_cannot_name_its_address_or_scheme(tmp_path, redis_url) -> None:
    with _server(tmp_path, redis_url, allowed="192.0.2.10") as server:
        statuses = _rotating_casts(server, 8)
        _status, headers = _ask(server, "GET", "/healthz", {"X-Forwarded-Proto": "https"})
    assert statuses[:6] == [404] * 6, statuses
    assert statuses[6:] == [429, 429], statuses  # one client, whatever it says it is
    assert "strict-transport-security" not in headers  # not HTTPS for saying so


def test_the_allowed_proxy_names_the_client_and_the_scheme(tmp_path, redis_url) -> None:
    with _server(tmp_path, redis_url, allowed="127.0.0.1") as server:
        statuses = _rotating_casts(server, 8)
        _status, headers = _ask(server, "GET", "/healthz", {"X-Forwarded-Proto": "https"})
    assert statuses == [404] * 8, statuses  # eight clients behind the proxy, one try each
    assert headers.get("strict-transport-security", "").startswith("max-age=")
