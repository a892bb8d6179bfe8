"""``ownervote db``: the database schema (Alembic migrations).

``upgrade`` creates or upgrades the schema of ``OWNERVOTE_DATABASE_URL``;
``current`` says which revision the database is at and whether that is this
code's head.  Every other command that uses the database checks the schema first
(:func:`ownervote.services.database.ensure_schema`).
"""

from __future__ import annotations

import click

from ownervote.commands.invocation import fail, refusals, settings


@click.group()
def db() -> None:
    """Database schema (Alembic migrations): upgrade, current."""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Create or upgrade the schema of OWNERVOTE_DATABASE_URL."""
    from ownervote.services.database import upgrade as run_upgrade

    config = settings()
    with refusals():
        state = run_upgrade(config.database_url, revision)
    click.echo(f"database at {state.database} is at revision {', '.join(state.current)}"
               + (" (head)" if state.at_head else ""))


@db.command()
def current() -> None:
    """Show the schema revision of the database (exit status 2 if it is not the head)."""
    from ownervote.services.database import schema_state

    config = settings()
    with refusals():
        state = schema_state(config.database_url)
    if state.at_head:
        click.echo(f"database at {state.database} is at revision {', '.join(state.current)} "
                   "(head)")
        return
    fail(state.problem())
