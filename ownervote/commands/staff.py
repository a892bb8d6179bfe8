"""``ownervote staff``: committee members', supervisors', auditors' and administrators' accounts.

This is how production gets its first administrator (who then creates the other
accounts on the administrators' pages, or here)::

    ownervote staff create alice --role admin          # password asked twice, hidden
    printf '%s\\n' "$PASSWORD" | ownervote staff create bob --role committee \\
        --community 九鹏花园 --password-stdin

The password is never given on the command line (it would stay in the shell's
history and in the process list).  ``create`` and ``reset-totp`` print the TOTP
secret once, with an ``otpauth://`` URI for the authenticator app; nothing shows
it again.  Every refusal is one line on standard error and exit status 2.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import TYPE_CHECKING

import click

from identity.credentials import MIN_PASSWORD, ROLES
from ownervote.commands.invocation import database, fail, settings

if TYPE_CHECKING:  # the services are imported by each command, when it runs
    from ownervote.services.staff import NewSecret


@click.group()
def staff() -> None:
    """Staff accounts: create, list, deactivate, reset-totp."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            fail("--password-stdin: standard input held no password")
        return password.removesuffix("\r")
    return click.prompt(f"Password (at least {MIN_PASSWORD} characters)", hide_input=True,
                        confirmation_prompt=True, err=True)


def _show_secret(secret: NewSecret, what: str) -> None:
    click.echo(f"{what}")
    click.echo(f"TOTP secret (shown this once; add it to the authenticator app): {secret.secret}")
    click.echo(f"or scan or open this URI: {secret.otpauth_uri}")


@staff.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--community", default=None,
              help="A committee member's community (小区) name, as imported from the registry.")
@click.option("--district", default=None,
              help="A supervisor's district (street office); default: the --community's.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input "
                   "(default: ask for it, hidden).")
def create(username: str, role: str, community: str | None, district: str | None,
           password_stdin: bool) -> None:
    """Create the account USERNAME; print its TOTP secret once."""
    from ownervote.services import staff as service

    config = settings()
    password = _read_password(password_stdin)
    with database(config) as session:
        secret = service.create(session, config, username=username, password=password,
                                role=role, community=community, district=district)
    _show_secret(secret, f"created {secret.role} account {secret.username}")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on standard output.")
def list_(as_json: bool) -> None:
    """List the accounts: user name, role, community or district, created, status."""
    from ownervote.services import staff as service

    with database() as session:
        accounts = service.list_accounts(session)
    if as_json:
        click.echo(json.dumps([a.to_json() for a in accounts], ensure_ascii=False))
        return
    if not accounts:
        click.echo("no staff accounts yet; create the first administrator with "
                   "`ownervote staff create NAME --role admin`", err=True)
    for a in accounts:
        place = a.community or a.district or "-"
        status = "active" if a.active else f"deactivated {a.deactivated_at:%Y-%m-%d %H:%M} UTC"
        click.echo(f"{_pad(a.username, 24)} {a.role:<10} {_pad(place, 20)} "
                   f"created {a.created_at:%Y-%m-%d %H:%M} UTC  {status}")


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


@staff.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Stop USERNAME from signing in and end their sessions (the account is kept)."""
    from ownervote.services import staff as service

    with database() as session:
        changed = service.deactivate(session, username)
    name = username.strip()
    click.echo(f"{name} can no longer sign in" if changed else f"{name} was already deactivated")


@staff.command("reset-totp")
@click.argument("username")
def reset_totp(username: str) -> None:
    """Give USERNAME a new TOTP secret (printed once); their sessions end."""
    from ownervote.services import staff as service

    config = settings()
    with database(config) as session:
        secret = service.reset_totp(session, config, username)
    _show_secret(secret, f"new TOTP secret for {secret.username}; their sessions have ended "
                         "and codes of the old secret no longer work")
