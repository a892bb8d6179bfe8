"""Find or start the PostgreSQL server the test suite runs against.

Order: ``OWNERVOTE_TEST_POSTGRES_URL``; else a server already listening on
127.0.0.1:5432 (trust auth, database ``test``); else a throw-away cluster made
with Debian's ``initdb``/``pg_ctl`` in a temporary folder.  Each test run then
creates its own database on that server and drops it afterwards.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import psycopg

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class PostgresUnavailable(RuntimeError):
    pass


def _plain(url: str) -> str:
    """SQLAlchemy URL -> libpq URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _can_connect(url: str) -> bool:
    try:
        with psycopg.connect(_plain(url), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if shutil.which("initdb"):
        candidates.insert(0, shutil.which("initdb") or "")
    if not candidates:
        raise PostgresUnavailable(
            "no PostgreSQL server found: set OWNERVOTE_TEST_POSTGRES_URL, start one on "
            "127.0.0.1:5432, or install Debian's postgresql package (initdb/pg_ctl) "
            "so the tests can start a throw-away cluster"
        )
    return os.path.dirname(candidates[0])


def start_throwaway_cluster() -> str:
    bindir = _pg_bin()
    datadir = tempfile.mkdtemp(prefix="ownervote-pg-")
    port = _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(datadir, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *run_as,
            f"{bindir}/initdb",
            "-D",
            datadir,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            f"{bindir}/pg_ctl",
            "-D",
            datadir,
            "-w",
            "-l",
            f"{datadir}/log",
            "-o",
            f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [*run_as, f"{bindir}/pg_ctl", "-D", datadir, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(datadir, ignore_errors=True)

    atexit.register(stop)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    for _ in range(50):
        if _can_connect(url):
            return url
        time.sleep(0.1)
    raise PostgresUnavailable(f"the throw-away cluster in {datadir} did not accept connections")


def server_url() -> str:
    url = os.environ.get("OWNERVOTE_TEST_POSTGRES_URL")
    if url:
        if not _can_connect(url):
            raise PostgresUnavailable(
                f"OWNERVOTE_TEST_POSTGRES_URL={url} does not accept connections"
            )
        return url
    if _can_connect(DEFAULT_URL):
        return DEFAULT_URL
    return start_throwaway_cluster()


def create_database(server: str, tag: str = "") -> tuple[str, callable]:
    """Create a fresh database for this run; return its URL and a function dropping it."""
    name = f"ownervote_test_{tag}{uuid.uuid4().hex[:10]}"
    base, _, _db = server.rpartition("/")
    with psycopg.connect(_plain(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(_plain(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop
