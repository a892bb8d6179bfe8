"""What the commands share: settings, the database behind its schema check, refusals.

A command that uses the database opens it with :func:`database`, which first runs
:func:`ownervote.services.database.ensure_schema` (the embedded SQLite default is
upgraded, with one line on standard error; any other database not at the head ends
the command with one line and exit status 2).  Inside it, a refusal of the domain
or of a service (:class:`identity.errors.IdentityError`,
:class:`ledger.errors.LedgerError`, :class:`voting.errors.VotingError`,
:class:`ownervote.services.database.DatabaseProblem`) ends the command the same way:
one line on standard error, exit status 2, no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from identity.errors import IdentityError
from ledger.errors import LedgerError
from ownervote.config import ConfigError, Settings, load_settings
from voting.errors import VotingError

BAD_INPUT = 2
REFUSALS: tuple[type[Exception], ...] = (IdentityError, LedgerError, VotingError, ConfigError)


def one_line(message: object) -> str:
    """The message on one line, control characters escaped whatever the input held."""
    text = " ".join(str(message).split("\n"))
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def command_name() -> str:
    """``ownervote staff create`` for the running command (whatever the program was called)."""
    ctx = click.get_current_context(silent=True)
    words = ctx.command_path.split()[1:] if ctx is not None else []
    return " ".join(["ownervote", *words])


def fail(message: object, status: int = BAD_INPUT) -> NoReturn:
    """One line on standard error and exit with ``status``."""
    click.echo(f"{command_name()}: {one_line(message)}", err=True)
    sys.exit(status)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(exc)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a refusal raised in the block into one line on standard error and exit status 2."""
    from ownervote.services.database import DatabaseProblem

    try:
        yield
    except REFUSALS + (DatabaseProblem,) as exc:
        fail(exc)


def ready(config: Settings, *, create: bool = False) -> None:
    """Check the schema is at the head (the embedded default is upgraded; see the docstring)."""
    from ownervote.services.database import DatabaseProblem, ensure_schema

    try:
        note = ensure_schema(config, create=create)
    except DatabaseProblem as exc:
        fail(exc)
    if note:
        click.echo(note, err=True)


@contextmanager
def database(config: Settings | None = None, *, create: bool = False) -> Iterator[Any]:
    """A session on the database, after :func:`ready`; refusals in the block end the command."""
    from ownervote.services import database as service

    config = config or settings()
    ready(config, create=create)
    with refusals(), service.session(config) as session:
        yield session
