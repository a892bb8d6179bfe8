"""``ownervote serve``: the web service under gunicorn."""

from __future__ import annotations

import multiprocessing
import sys

import click

from ownervote.config import ConfigError, load_settings


def run_gunicorn(host: str, port: int, workers: int, threads: int, *, timeout: int = 30,
                 access_log: bool = False) -> None:
    """Serve ``web.create_app()`` with gunicorn, each worker building its own app."""
    from gunicorn.app.base import BaseApplication

    class OwnervoteApplication(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", timeout)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", "-" if access_log else None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("forwarded_allow_ips", "127.0.0.1")

        def load(self):
            from web import create_app

            return create_app()

    OwnervoteApplication().run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=lambda: max(2, multiprocessing.cpu_count()),
              show_default="number of CPUs, at least 2", type=click.IntRange(1, 256))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--access-log/--no-access-log", default=True, show_default=True)
def serve(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Run the web service (gunicorn) against OWNERVOTE_DATABASE_URL.

    In production (OWNERVOTE_ENV=production) every secret must be set in the
    environment; the service refuses to start otherwise.
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
    run_gunicorn(host, port, workers, threads, access_log=access_log)
