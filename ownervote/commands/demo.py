"""``ownervote demo`` and ``ownervote init-demo``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ownervote.commands import invocation
from ownervote.commands.invocation import database
from ownervote.config import Settings, default_database_url


def _prepare(settings: Settings) -> tuple[list, bool, dict]:
    """Create or upgrade the database and load the demo unless it is there: the demo staff
    accounts (with their TOTP secrets), whether the demo was loaded just now and each demo
    assembly's witness policy (None: none)."""
    from ownervote.services.demo import demo_accounts, load, witness_policies

    with database(settings, create=True) as session:
        loaded = load(session, settings)
        accounts = loaded if loaded is not None else demo_accounts(session, settings)
        return accounts, loaded is not None, witness_policies(session)


def _print_policies(policies: dict) -> None:
    """Say which witness policy the demo's assemblies have, or that they have none."""
    described = {title: (f"{p.quorum} of {len(p.witnesses)}: "
                         + ", ".join(w.name for w in p.witnesses)) if p else None
                 for title, p in policies.items()}
    if not any(described.values()):
        click.echo("The demo's assemblies have no witness policy: nothing but the log key "
                   "vouches for their logs")
        click.echo("  (`ownervote init-demo --reset --witness URL VKEY`, or OWNERVOTE_WITNESSES, "
                   "gives them one; `ownervote demo` starts a witness itself).")
    elif len(set(described.values())) == 1:
        click.echo(f"witness policy of the demo's assemblies: {next(iter(described.values()))}")
    else:
        for title, text in described.items():
            click.echo(f"witness policy of {title}: {text or 'none'}")


def _use_witnesses(witnesses: tuple[tuple[str, str], ...]) -> None:
    """``--witness URL VKEY`` (repeated): the OWNERVOTE_WITNESSES of this command."""
    import os

    from ledger.cosigning import WitnessListError, parse_witness_list

    value = "; ".join(f"{url} {vkey}" for url, vkey in witnesses)
    try:
        parse_witness_list(value)
    except WitnessListError as exc:
        invocation.fail(f"--witness: {exc}")
    os.environ["OWNERVOTE_WITNESSES"] = value


def _settings() -> Settings:
    return invocation.settings()


def _reset(settings: Settings) -> None:
    """Remove the embedded SQLite demo database (with its WAL files) so it is loaded afresh.
    Another database is never dropped by the demo."""
    if settings.database_url != default_database_url(settings.instance_dir):
        invocation.fail("--reset only removes the embedded SQLite database of the demo; "
                        "OWNERVOTE_DATABASE_URL names another database, so it was left alone")
    database_file = settings.instance_dir / "ownervote.sqlite3"
    for path in (database_file, Path(f"{database_file}-wal"), Path(f"{database_file}-shm")):
        path.unlink(missing_ok=True)
    # The demo's witness forgets the old logs too: the new ones reuse their origins, and a
    # witness that remembered them would refuse the new histories as forks.
    from ownervote.commands.demo_witness import forget_logs

    forget_logs(settings.instance_dir)
    click.echo(f"removed the demo database {database_file}; loading it afresh")


def _print_accounts(accounts: list) -> None:
    from ownervote.demo import STAFF, demo_owner

    owner = demo_owner()
    click.echo("")
    click.echo("Demo owner (verify identity on the phone page; the SMS code shows on screen):")
    click.echo(f"  name {owner.name}  ID {owner.id_number}  certificate {owner.certificate_no}")
    click.echo(f"  unit {owner.building} {owner.unit}")
    click.echo("Demo staff (sign in at /staff/sign-in; one-time code from an authenticator app,")
    click.echo("  or shown on the sign-in page in the demo):")
    secrets = {a.username: a.totp_secret for a in accounts}
    for role, username, password in STAFF:
        extra = f"  TOTP secret {secrets[username]}" if username in secrets else ""
        click.echo(f"  {role:<10} {username:<20} {password}{extra}")


@click.command("init-demo")
@click.option("--reset", is_flag=True,
              help="Remove the embedded SQLite demo database first and load it afresh.")
@click.option("--witness", "witnesses", nargs=2, multiple=True, metavar="URL VKEY",
              help="A witness (its URL and cosignature/v1 verifier key) for the witness "
                   "policy each demo notice fixes; repeat for several.  Default: "
                   "OWNERVOTE_WITNESSES.  Without any, the demo's assemblies have no witness "
                   "policy.")
def init_demo(reset: bool, witnesses: tuple[tuple[str, str], ...]) -> None:
    """Create the database if needed and load the demo data (nothing is served).

    Unlike `ownervote demo`, it starts no witness: the demo's notices fix the witness
    policy of --witness or OWNERVOTE_WITNESSES, and none when neither is given (the output
    says which).  Serve it with the same OWNERVOTE_WITNESSES so the log asks them to cosign.
    """
    if witnesses:
        _use_witnesses(witnesses)
    settings = _settings()
    if reset:
        _reset(settings)
    started = time.monotonic()
    accounts, loaded, policies = _prepare(settings)
    if loaded:
        click.echo(f"demo data loaded in {time.monotonic() - started:.1f} s")
    else:
        click.echo("the demo data is already loaded (--reset starts afresh)")
        if witnesses:
            click.echo("--witness does not change the assemblies already loaded: their "
                       "notices fixed their witness policy (--reset loads them afresh)")
    _print_policies(policies)
    _print_accounts(accounts)


def _serve_on_lan(settings: Settings, port: int) -> tuple[str, tuple[Path, Path]]:
    """The LAN address to serve on and its certificate (made now or reused); prints its
    fingerprint."""
    from ownervote.commands.lan import NoLanAddress, demo_certificate, lan_address

    try:
        address = lan_address()
    except NoLanAddress as exc:
        invocation.fail(f"--lan: {exc}")
    cert = demo_certificate(settings.instance_dir, address)
    click.echo(f"HTTPS on https://{address}:{port}/ with a self-signed certificate "
               f"({cert.cert_file}).")
    click.echo("The phone warns that the certificate is not trusted: open the warning's details,")
    click.echo("check that its SHA-256 fingerprint is")
    click.echo(f"  {cert.fingerprint}")
    click.echo("and continue to the page (its signing key needs https).")
    return address, (cert.cert_file, cert.key_file)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--lan", is_flag=True,
              help="Serve HTTPS on this machine's LAN address (self-signed certificate kept "
                   "in the instance folder) so a phone on the same network can vote.")
@click.option("--reset", is_flag=True,
              help="Remove the embedded SQLite demo database first and load it afresh.")
def demo(host: str, port: int, workers: int, lan: bool, reset: bool) -> None:
    """Set up the demo on SQLite (or OWNERVOTE_DATABASE_URL) and serve it.

    Creates the database if it is empty, loads the demo, then prints the owner
    URL with a QR code to scan and the demo sign-in details (again on every start).
    """
    import os

    from ownervote.commands.serve import run_gunicorn
    from web.qr import qr_terminal

    settings = _settings()
    tls = None
    if lan:
        host, tls = _serve_on_lan(settings, port)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    owner_url = f"{'https' if tls else 'http'}://{shown_host}:{port}/"
    os.environ.setdefault("OWNERVOTE_BASE_URL", owner_url.rstrip("/"))
    os.environ.setdefault("OWNERVOTE_DEMO", "1")
    settings = _settings()
    if reset:
        _reset(settings)
    if not os.environ.get("OWNERVOTE_WITNESSES"):
        # before the demo is loaded: its notices fix the witness policy (1 of 1)
        from ownervote.commands import demo_witness

        witness = demo_witness.start(settings)
        click.echo(f"witness (the street office) cosigning the logs: {witness}")
        settings = _settings()
    accounts, _loaded, policies = _prepare(settings)
    _print_policies(policies)
    click.echo("")
    click.echo(f"ownervote demo: owners open {owner_url} on a phone (or scan):")
    click.echo(qr_terminal(owner_url))
    _print_accounts(accounts)
    click.echo("")
    click.echo("Press Ctrl+C to stop.")
    run_gunicorn(host, port, workers, threads=4, access_log=False,
                 instance_dir=settings.instance_dir, tls=tls)
