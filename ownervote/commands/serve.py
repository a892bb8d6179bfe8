"""``ownervote serve``: the web service under gunicorn.

Several worker processes (``--workers`` / ``OWNERVOTE_WEB_WORKERS``).  Each serves
many connections at once (kept alive for clients and the reverse proxy) with
gunicorn's ``gevent`` worker by default: requests run as greenlets on one event
loop, which costs a third of what a thread pool does per request (bench/cast.py,
the ``/healthz`` baseline: 2,000 against 700 requests/s on 2 cores), and the database
drivers cooperate with it (psycopg 3 waits through gevent,
:mod:`ownervote.geventpg`; SQLite calls are short and run in place).
``--worker-class gthread`` (``OWNERVOTE_WEB_WORKER_CLASS``) serves with
``--threads`` threads per worker instead.  Every worker builds its own app (its
own database pool) after the fork and starts the service timer
(:mod:`ownervote.timer`): assemblies open and close when due and open logs get a
signed checkpoint every few minutes; the timers of all workers and servers
coordinate through the database.

Before serving, the database's schema must be at the head (the embedded SQLite
default is upgraded, any other database is refused until ``ownervote db upgrade``:
:func:`ownervote.services.database.ensure_schema`), and the database is checked for
durability (:func:`ownervote.services.database.durability_problems`): a receipt is
handed out only after the ballot's commit is on disk, so PostgreSQL must run with
``fsync`` and ``synchronous_commit`` on, and SQLite in WAL mode with
``synchronous=FULL`` (set on every connection by ``ownervote.db``).  In production a
database that could lose acknowledged ballots is refused.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

import click

from ownervote.commands.invocation import ready
from ownervote.config import ConfigError, load_settings
from ownervote.services.database import durability_problems

__all__ = ["default_threads", "default_workers", "durability_problems", "run_gunicorn", "serve"]

log = logging.getLogger(__name__)


def default_workers() -> int:
    """One worker per core (bench/cast.py: more processes only add GIL-free contention for
    the log's lock and shrink each worker's batches)."""
    return multiprocessing.cpu_count()


def default_threads() -> int:
    """Threads per ``gthread`` worker: requests waiting on one worker's batch
    (ledger.store.sequencer) join the next one, so more threads make bigger batches — one
    commit and checkpoint for several ballots (bench/cast.py on 2 cores: 2 × 16 was
    best; 2 × 4 gave a third)."""
    return 16


WORKER_CLASSES = ("gevent", "gthread")
#: Connections one ``gevent`` worker serves at once (each a greenlet).
GEVENT_CONNECTIONS = 1000


def _post_worker_init(worker: Any) -> None:
    """In each worker after it loaded the app: start the service timer."""
    from ownervote.timer import start_in_app

    start_in_app(worker.wsgi)


#: Longest path of a Unix socket (``sun_path`` holds 108 bytes with its terminating NUL).
UNIX_SOCKET_PATH_MAX = 107


def control_socket_path(instance_dir: Path) -> Path | None:
    """Where gunicorn's control socket (``gunicornc``) goes: the instance folder, never the
    user's home or runtime directory; None (no control socket) when that path is too long
    for a Unix socket."""
    path = instance_dir / "gunicorn.ctl"
    return path if len(os.fsencode(path)) <= UNIX_SOCKET_PATH_MAX else None


def run_gunicorn(host: str, port: int, workers: int, threads: int, *, timeout: int = 30,
                 access_log: bool = False, forwarded_allow_ips: str = "127.0.0.1",
                 worker_class: str = "gevent", instance_dir: Path | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
    """Serve ``web.create_app()`` with gunicorn, each worker building its own app.

    ``instance_dir``: the control socket goes there (:func:`control_socket_path`; without it
    there is none).  ``tls``: (certificate, key) files to serve https with."""
    from gunicorn.app.base import BaseApplication

    control_socket = control_socket_path(instance_dir) if instance_dir else None

    class OwnervoteApplication(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", worker_class)
            if worker_class == "gevent":
                self.cfg.set("worker_connections", GEVENT_CONNECTIONS)
            else:  # gthread even with one thread: it keeps client connections alive
                self.cfg.set("threads", threads)
            self.cfg.set("timeout", timeout)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("keepalive", 5)
            self.cfg.set("backlog", 2048)
            self.cfg.set("accesslog", "-" if access_log else None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("forwarded_allow_ips", forwarded_allow_ips)
            self.cfg.set("post_worker_init", _post_worker_init)
            if "control_socket" not in self.cfg.settings:
                pass  # gunicorn before 25 has no control socket
            elif control_socket is None:
                self.cfg.set("control_socket_disable", True)
            else:
                self.cfg.set("control_socket", str(control_socket))
            if tls is not None:
                self.cfg.set("certfile", str(tls[0]))
                self.cfg.set("keyfile", str(tls[1]))

        def load(self):
            from web import create_app

            if worker_class == "gevent":
                from ownervote import geventpg

                geventpg.use_in_this_worker()

            return create_app()

    OwnervoteApplication().run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", envvar="OWNERVOTE_WEB_WORKERS", default=default_workers,
              show_default="number of CPUs", type=click.IntRange(1, 256),
              help="Worker processes (env OWNERVOTE_WEB_WORKERS).")
@click.option("--threads", envvar="OWNERVOTE_WEB_THREADS", default=default_threads,
              show_default=True, type=click.IntRange(1, 64),
              help="Threads per gthread worker (env OWNERVOTE_WEB_THREADS).")
@click.option("--worker-class", envvar="OWNERVOTE_WEB_WORKER_CLASS", default="gevent",
              show_default=True, type=click.Choice(WORKER_CLASSES),
              help="gunicorn worker: gevent (event loop) or gthread (thread pool); "
                   "env OWNERVOTE_WEB_WORKER_CLASS.")
@click.option("--forwarded-allow-ips", envvar="OWNERVOTE_FORWARDED_ALLOW_IPS",
              default="127.0.0.1", show_default=True,
              help="Addresses of the reverse proxies trusted for X-Forwarded-* headers.")
@click.option("--access-log/--no-access-log", default=True, show_default=True)
def serve(host: str, port: int, workers: int, threads: int, worker_class: str,
          forwarded_allow_ips: str, access_log: bool) -> None:
    """Run the web service (gunicorn) against OWNERVOTE_DATABASE_URL.

    In production (OWNERVOTE_ENV=production) every secret must be set in the
    environment, throttling needs OWNERVOTE_REDIS_URL, and the database must
    be durable; the service refuses to start otherwise.
    """
    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(f"ownervote serve: {exc}", err=True)
        sys.exit(2)
    if settings.production and not settings.redis_url:
        click.echo("ownervote serve: production mode needs OWNERVOTE_REDIS_URL "
                   "(throttling must be shared across workers and servers)", err=True)
        sys.exit(2)
    ready(settings)  # the schema is at the head (the embedded default is upgraded)
    try:
        problems = durability_problems(settings)
    except Exception as exc:  # noqa: BLE001 - say why the database cannot be reached
        click.echo(f"ownervote serve: cannot reach the database: {type(exc).__name__}: {exc}",
                   err=True)
        sys.exit(2)
    for p in problems:
        log.warning("durability: %s: an acknowledged ballot could be lost in a crash", p)
    if problems and settings.production:
        click.echo("ownervote serve: refusing to serve on a database that is not durable: "
                   + "; ".join(problems), err=True)
        sys.exit(2)
    # each worker builds its app from the environment: the option, if given, is the setting
    os.environ["OWNERVOTE_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    run_gunicorn(host, port, workers, threads, access_log=access_log,
                 forwarded_allow_ips=forwarded_allow_ips, worker_class=worker_class,
                 instance_dir=settings.instance_dir)
