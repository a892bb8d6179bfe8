"""The Redis the throttling tests use is found or started, never silently missing
(``tests/support/redis.py``, the ``redis_url`` fixture)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import redis as test_redis

ROOT = Path(__file__).resolve().parents[2]


def test_the_fixture_gives_a_redis_that_answers(redis_url) -> None:
    assert test_redis.answers(redis_url) is None


def test_a_throwaway_redis_answers_and_is_gone_once_its_process_exits() -> None:
    code = ("from tests.support.redis import answers, start_throwaway_server\n"
            "url = start_throwaway_server()\n"
            "print(url, answers(url))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    url, why = done.stdout.split()
    assert why == "None", done.stdout  # it answered PING while its process lived
    assert test_redis.answers(url, timeout=1) is not None  # stopped at exit


def test_a_url_that_does_not_answer_fails_saying_so(monkeypatch) -> None:
    from tests.support.servers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv(test_redis.ENV, url)
    with pytest.raises(test_redis.RedisUnavailable, match=f"{test_redis.ENV}={url} does not "
                                                          "answer PING"):
        test_redis.server_url()


def test_no_server_and_no_binary_says_what_is_missing_and_how_to_provide_it(
        monkeypatch) -> None:
    from tests.support.servers import free_port

    monkeypatch.delenv(test_redis.ENV, raising=False)
    monkeypatch.setattr(test_redis, "DEFAULT_URL", f"redis://127.0.0.1:{free_port()}/0")
    start = test_redis.start_throwaway_server
    monkeypatch.setattr(test_redis, "start_throwaway_server", lambda: start("no-such-redis"))
    with pytest.raises(test_redis.RedisUnavailable) as caught:
        test_redis.server_url()
    message = str(caught.value)
    for needed in (test_redis.ENV, "127.0.0.1:6379", "no-such-redis", "apt-get install"):
        assert needed in message, message
