"""The web layer when the database is away: a database it cannot reach is answered with
``503``, ``Retry-After`` and ``{"error": "retry", "message": ...}`` (JSON under ``/api/``, a
page elsewhere), other database errors with a plain 500, and numbers or characters the
database cannot take are refused before they reach it.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError


@pytest.fixture
def unreachable_app(ov_settings):
    """The app pointed at a PostgreSQL address nobody listens on."""
    import dataclasses

    from tests.support.servers import free_port
    from web import create_app

    port = free_port()
    settings = dataclasses.replace(
        ov_settings, database_url=f"postgresql+psycopg://nobody@127.0.0.1:{port}/gone")
    app = create_app(settings, TESTING=True, RATELIMIT_ENABLED=False)
    yield app
    app.extensions["ownervote.engine"].dispose()


@pytest.mark.parametrize("backend", ["sqlite"])  # the database is unreachable either way
def test_an_unreachable_database_is_a_retryable_503(unreachable_app, backend) -> None:
    client = unreachable_app.test_client()
    r = client.post("/api/v1/assemblies/1/ballots", json={"payload": {}, "signature": ""})
    assert r.status_code == 503, r.get_data(as_text=True)[:300]
    assert r.headers["Retry-After"].isdigit()
    body = r.get_json()
    assert body["error"] == "retry" and body["message"] and body["retry_after"] >= 1
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert page.mimetype == "text/html"


def test_other_database_errors_stay_500(app) -> None:
    @app.get("/_test/integrity")
    def _broken():
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    r = app.test_client().get("/_test/integrity")
    assert r.status_code == 500 and "Retry-After" not in r.headers


def test_numbers_and_characters_the_database_cannot_take_are_refused_first(client) -> None:
    # beyond PostgreSQL's integer / SQLite's 64-bit binding: nothing has that id
    for path in ("/a/2147483648", "/api/v1/assemblies/99999999999999999999/ballot-template",
                 "/audit/assemblies/1/checkpoints/9223372036854775808/note"):
        r = client.get(path)
        assert r.status_code == 404, path
    assert client.get("/committee/review/R%00x/approve").status_code in (404, 405)
    r = client.get("/verify", query_string={"next": "a\x00b"})
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)
    r = client.post("/api/v1/assemblies/1/ballots", data=b'{"payload": "\\u0000"}',
                    content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"] == "malformed"
