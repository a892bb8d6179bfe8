"""The unit tests (``tests/unit/``): pure modules, parsers and property tests.

They take no database and no Flask app: the fixtures that would give them one are
replaced here by fixtures that fail and say where such a test belongs.
"""

from __future__ import annotations

import pytest

_ELSEWHERE = ("tests/unit takes no database and no Flask app (fixture {name!r}): a test that "
              "needs one belongs in tests/db (storage, services) or tests/web (Flask test "
              "client)")


def _refuse(name: str):
    @pytest.fixture(name=name)
    def refused():
        pytest.fail(_ELSEWHERE.format(name=name), pytrace=False)

    return refused


backend = _refuse("backend")
db_url = _refuse("db_url")
engine = _refuse("engine")
session = _refuse("session")
ov_settings = _refuse("ov_settings")
app = _refuse("app")
client = _refuse("client")
