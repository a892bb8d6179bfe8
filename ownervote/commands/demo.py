"""``ownervote demo`` and ``ownervote init-demo``."""

from __future__ import annotations

import time

import click

from ownervote.commands import invocation
from ownervote.commands.invocation import database
from ownervote.config import Settings


def _prepare(settings: Settings) -> list | None:
    """Create or upgrade the database and load the demo unless it is there; the new accounts
    or None."""
    from ownervote.services.demo import load

    with database(settings, create=True) as session:
        return load(session, settings)


def _settings() -> Settings:
    return invocation.settings()


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
