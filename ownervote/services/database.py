"""The database as a whole: its schema revision, upgrading it, sessions for commands, durability.

Every ``ownervote`` command that opens the database first calls :func:`ensure_schema`:

* a schema at the Alembic head: nothing to do;
* the embedded SQLite default (``OWNERVOTE_DATABASE_URL`` not set,
  :attr:`ownervote.config.Settings.embedded_database`): upgraded at once, and the
  caller is given one line to say so;
* any other database (PostgreSQL in production, or a SQLite file named by URL) is
  never changed behind the operator's back: :class:`SchemaNotCurrent` says in one line
  what is wrong and that ``ownervote db upgrade`` makes it right.  A database whose
  revision this code does not know (written by a newer ownervote) is refused too.

:func:`upgrade` is what ``ownervote db upgrade`` runs.  Each failure is a
:class:`DatabaseProblem` whose message is one line naming the database without its
password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ownervote import migrate
from ownervote.config import Settings
from ownervote.db import make_engine
from ownervote.services.engine import open_database

UPGRADE_HINT = "run `ownervote db upgrade`"


class DatabaseProblem(Exception):
    """The database cannot be used as it is; the message is one line saying why."""


class DatabaseUnreachable(DatabaseProblem):
    """No connection (server down, wrong address or credentials, unreadable file)."""


class SchemaNotCurrent(DatabaseProblem):
    """The schema is missing, behind the code's head, or of a revision the code does not know."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this code's migrations."""

    database: str  # the URL without its password, or the SQLite file's path
    current: tuple[str, ...]  # revisions recorded in the database (empty: no schema)
    heads: tuple[str, ...]  # this code's head revision(s)
    exists: bool = True  # False: a SQLite file that is not there (nothing was created)

    @property
    def at_head(self) -> bool:
        return self.exists and self.current == self.heads

    @property
    def empty(self) -> bool:
        return not self.current

    @property
    def unknown(self) -> tuple[str, ...]:
        """Recorded revisions this code's history does not hold (a newer ownervote's)."""
        return tuple(r for r in self.current if not migrate.known_revision(r))

    def problem(self) -> str | None:
        """One line saying what is wrong with the schema and what to run; None if current."""
        if self.at_head:
            return None
        head = ", ".join(self.heads)
        if not self.exists:
            return f"there is no database at {self.database}: {UPGRADE_HINT} to create it"
        if self.unknown:
            return (f"the database at {self.database} is at schema revision "
                    f"{', '.join(self.unknown)}, which this ownervote does not know (its newest "
                    f"is {head}): run the ownervote that wrote it, or a newer one")
        if self.empty:
            return (f"the database at {self.database} has no ownervote schema: {UPGRADE_HINT} "
                    f"(to schema revision {head})")
        return (f"the database at {self.database} is at schema revision "
                f"{', '.join(self.current)}, not {head}: {UPGRADE_HINT}")


def shown(url: str) -> str:
    """The database as it may be printed: a SQLite file's path, else the URL without password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unparseable OWNERVOTE_DATABASE_URL)"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return f"{type(orig).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def schema_state(url: str) -> SchemaState:
    """Read the schema revision of the database at ``url`` (a missing SQLite file is not
    created).  Raises :class:`DatabaseUnreachable`."""
    where = shown(url)
    heads = migrate.head_revisions()
    try:
        path = _sqlite_file(url)
    except ArgumentError as exc:
        raise DatabaseUnreachable(f"OWNERVOTE_DATABASE_URL is not a database URL: {exc}") from None
    if path is not None and not path.exists():
        return SchemaState(where, (), heads, exists=False)
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            current = migrate.current_revisions(conn)
    except DBAPIError as exc:
        raise DatabaseUnreachable(f"cannot reach the database at {where}: {_one_line(exc)}") \
            from None
    finally:
        engine.dispose()
    return SchemaState(where, current, heads)


def upgrade(url: str, revision: str = "head") -> SchemaState:
    """Create or upgrade the schema of the database at ``url``; return where it now stands.

    A SQLite file's folder is created if missing.  Raises :class:`DatabaseUnreachable` or,
    for a database written by a newer ownervote, :class:`SchemaNotCurrent`.
    """
    before = schema_state(url)
    if before.unknown:
        raise SchemaNotCurrent(before.problem() or "")
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        migrate.upgrade(url, revision)
    except DBAPIError as exc:
        raise DatabaseUnreachable(
            f"upgrading the database at {before.database} failed: {_one_line(exc)}") from None
    return schema_state(url)


def ensure_schema(settings: Settings, *, create: bool = False) -> str | None:
    """Check the schema is at the head before a command uses the database.

    Upgrades the embedded SQLite default (and, with ``create``, any database that has no
    schema yet: ``ownervote demo``) and returns one line saying so; returns None when
    nothing had to be done.  Raises :class:`SchemaNotCurrent` (one line: what is wrong,
    what to run) or :class:`DatabaseUnreachable`.
    """
    state = schema_state(settings.database_url)
    if state.at_head:
        return None
    if state.unknown or not (settings.embedded_database or (create and state.empty)):
        raise SchemaNotCurrent(state.problem() or "")
    after = upgrade(settings.database_url)
    what = "created" if state.empty else f"upgraded from schema revision {', '.join(state.current)}"
    return (f"ownervote: the database at {after.database} was {what} to schema revision "
            f"{', '.join(after.current)}")


@contextmanager
def session(settings: Settings) -> Iterator[Session]:
    """A session on the settings' database for one command (its engine is disposed after)."""
    database = open_database(settings.database_url)
    try:
        with database.session() as s:
            yield s
    finally:
        database.close()


def durability_problems(settings: Settings) -> list[str]:
    """What about the database could lose a ballot whose receipt was already given."""
    engine = make_engine(settings.database_url)
    problems = []
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                for name in ("fsync", "synchronous_commit", "full_page_writes"):
                    value = conn.execute(text(f"SHOW {name}")).scalar()
                    if value != "on":
                        problems.append(f"PostgreSQL {name} is {value!r}, not 'on'")
            elif engine.dialect.name == "sqlite":
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
                if str(mode).lower() != "wal":
                    problems.append(f"SQLite journal_mode is {mode}, not wal")
                if sync != 2:
                    problems.append(f"SQLite synchronous is {sync}, not 2 (FULL)")
    finally:
        engine.dispose()
    return problems
