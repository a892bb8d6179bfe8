"""Every byte a test database holds, to look for personal data stored in clear.

SQLite: the database file and its write-ahead log after a checkpoint; PostgreSQL:
every table of the ``public`` schema as ``COPY ... TO STDOUT`` gives it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text


def database_bytes(session, backend: str, db_url: str) -> bytes:
    if backend == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    dump = []
    raw = session.connection().connection.driver_connection
    for table in session.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars():
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" TO STDOUT') as copy:
            for block in copy:
                dump.append(bytes(block))
    return b"".join(dump)
