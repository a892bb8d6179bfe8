"""Find or start the Redis server the throttling tests share their counts through.

Order, as for PostgreSQL (``tests/support/postgres.py``): ``OWNERVOTE_TEST_REDIS_URL``
(it must answer PING); else a server already answering on 127.0.0.1:6379; else a
throw-away ``redis-server`` on a free port that keeps nothing on disk, stopped when
the test process exits; else :class:`RedisUnavailable`, whose message says what is
missing and how to provide it.  The ``redis_url`` fixture (``tests/conftest.py``)
fails the tests that need Redis with that message: they are never skipped.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time

from tests.support.servers import free_port

DEFAULT_URL = "redis://127.0.0.1:6379/0"
ENV = "OWNERVOTE_TEST_REDIS_URL"


class RedisUnavailable(RuntimeError):
    pass


def answers(url: str, timeout: float = 2) -> str | None:
    """None if ``url`` answers PING, else why not."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def start_throwaway_server(binary: str = "redis-server") -> str:
    """A ``redis-server`` of this process's own on a free port, stopped at exit."""
    path = shutil.which(binary)
    if path is None:
        raise RedisUnavailable(f"there is no {binary} binary on PATH to start a throw-away "
                               "Redis (Debian: apt-get install redis-server)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="ownervote-redis-")
    log = open(os.path.join(workdir, "redis.log"), "wb")  # no with: the server's own
    process = subprocess.Popen(
        [path, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    log.close()

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    why = "not started"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        why = answers(url, timeout=0.5)
        if why is None:
            return url
        time.sleep(0.1)
    with open(os.path.join(workdir, "redis.log"), errors="replace") as fh:
        tail = fh.read()[-2000:]
    stop()
    raise RedisUnavailable(f"the throw-away {path} on port {port} did not answer PING "
                           f"({why}); its log:\n{tail}")


def server_url() -> str:
    """A Redis URL that answers PING (see the module's docstring for the order)."""
    url = os.environ.get(ENV)
    if url:
        why = answers(url)
        if why is not None:
            raise RedisUnavailable(f"{ENV}={url} does not answer PING ({why}); start that "
                                   f"server or unset {ENV} to use 127.0.0.1:6379 or a "
                                   "throw-away redis-server")
        return url
    why = answers(DEFAULT_URL)
    if why is None:
        return DEFAULT_URL
    try:
        return start_throwaway_server()
    except RedisUnavailable as exc:
        raise RedisUnavailable(
            f"no Redis server for the tests: {ENV} is not set, nothing answers PING at "
            f"{DEFAULT_URL} ({why}), and {exc}.  Provide one of them: set "
            f"{ENV}=redis://HOST:PORT/DB, start Redis on 127.0.0.1:6379, or install "
            "redis-server (Debian: apt-get install redis-server)."
        ) from exc
