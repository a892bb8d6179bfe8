"""Alembic migrations, driven programmatically (``ownervote db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be doubled for ConfigParser interpolation
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).has_table("alembic_version")


def head_revisions() -> tuple[str, ...]:
    """The head revision(s) of this code's migration history."""
    return tuple(sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()))


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revision(s) the database's ``alembic_version`` table names (none: no schema)."""
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def known_revision(revision: str) -> bool:
    """Is ``revision`` part of this code's migration history?"""
    try:
        return ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision) is not None
    except CommandError:
        return False
