"""``ownervote demo`` and ``ownervote init-demo``."""

from __future__ import annotations

import sys
import time

import click

from ownervote.config import ConfigError, Settings, load_settings


def _prepare(settings: Settings) -> list | None:
    """Migrate the database and load the demo unless it is there; the new accounts or None."""
    from ledger.keys import load_or_create_log_key, log_key_name
    from ownervote.db import make_engine, make_session_factory
    from ownervote.demo import has_demo, load_demo
    from ownervote.migrate import upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            if has_demo(session):
                return None
        signer = load_or_create_log_key(settings.log_key_file, log_key_name(settings.base_url))
        return load_demo(factory, settings, signer)
    finally:
        engine.dispose()


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        click.echo(f"ownervote: {exc}", err=True)
        sys.exit(2)


def _print_accounts(accounts: list | None, owner_url: str) -> None:
    from ownervote.demo import STAFF, demo_owner

    owner = demo_owner()
    click.echo("")
    click.echo("Demo owner (verify identity on the phone page; the SMS code shows on screen):")
    click.echo(f"  name {owner.name}  ID {owner.id_number}  certificate {owner.certificate_no}")
    click.echo(f"  unit {owner.building} {owner.unit}")
    click.echo("Demo staff (sign in at /staff/sign-in; one-time code from an authenticator app,")
    click.echo("  or shown on the sign-in page in the demo):")
    secrets = {a.username: a.totp_secret for a in accounts} if accounts else {}
    for role, username, password in STAFF:
        extra = f"  TOTP secret {secrets[username]}" if username in secrets else ""
        click.echo(f"  {role:<10} {username:<20} {password}{extra}")


@click.command("init-demo")
def init_demo() -> None:
    """Create the database if needed and load the demo data (nothing is served)."""
    settings = _settings()
    started = time.monotonic()
    accounts = _prepare(settings)
    if accounts is None:
        click.echo("the demo data is already loaded")
    else:
        click.echo(f"demo data loaded in {time.monotonic() - started:.1f} s")
        _print_accounts(accounts, "")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def demo(host: str, port: int, workers: int) -> None:
    """Set up the demo on SQLite (or OWNERVOTE_DATABASE_URL) and serve it.

    Creates the database if it is empty, loads the demo, then prints the owner
    URL with a QR code to scan and the demo sign-in details.
    """
    import os

    from ownervote.commands.serve import run_gunicorn
    from web.qr import qr_terminal

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    owner_url = f"http://{shown_host}:{port}/"
    os.environ.setdefault("OWNERVOTE_BASE_URL", owner_url.rstrip("/"))
    os.environ.setdefault("OWNERVOTE_DEMO", "1")
    settings = _settings()
    accounts = _prepare(settings)
    click.echo("")
    click.echo(f"ownervote demo: owners open {owner_url} on a phone (or scan):")
    click.echo(qr_terminal(owner_url))
    _print_accounts(accounts, owner_url)
    click.echo("")
    click.echo("Press Ctrl+C to stop.")
    run_gunicorn(host, port, workers, threads=4, access_log=False)
