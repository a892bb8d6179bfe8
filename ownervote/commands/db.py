"""``ownervote db``: schema migrations."""

from __future__ import annotations

import click

from ownervote.config import load_settings


@click.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Create or upgrade the schema of OWNERVOTE_DATABASE_URL."""
    from ownervote.migrate import upgrade as run_upgrade

    settings = load_settings()
    run_upgrade(settings.database_url, revision)
    click.echo(f"database at {settings.database_url.split('@')[-1]} is at revision {revision}")


@db.command()
def current() -> None:
    """Show the schema revision of the database."""
    from alembic import command

    from ownervote.migrate import alembic_config

    command.current(alembic_config(load_settings().database_url))
