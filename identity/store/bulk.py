"""Bulk writes and keyed look-ups that stay fast at 100,000 rows on both backends.

PostgreSQL: ``COPY … FROM STDIN`` through psycopg, and ``= ANY(array)``
look-ups (one statement, one round trip).  SQLite: the driver's ``executemany``
of one prepared INSERT and chunked ``IN (…)`` look-ups (SQLite is in-process,
so statements are cheap).  Column types' bind processing (exact areas, UTC
timestamps) and Python-side column defaults are applied the same way as an
ordinary SQLAlchemy insert would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import LargeBinary, text
from sqlalchemy.orm import Session

from ownervote.db import driver_connection

CHUNK = 2000


def _defaults(table: Any, present: Sequence[str]) -> list[tuple[str, Any]]:
    out = []
    for column in table.columns:
        if column.name in present or column.default is None or column.primary_key:
            continue
        default = column.default
        if default.is_callable:
            out.append((column.name, lambda d=default: d.arg({})))
        elif default.is_scalar:
            out.append((column.name, lambda d=default: d.arg))
    return out


def insert_rows(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in bulk.

    Goes to the driver directly (SQLAlchemy's per-row parameter handling costs more
    than the insert itself at this size), so the columns' bind processing and
    Python-side defaults are applied here.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    defaults = _defaults(table, names)
    columns = names + [name for name, _ in defaults]
    # bind processing for type decorators (exact areas, UTC times); bytes are written as is
    procs = [table.c[name].type.bind_processor(dialect)
             if not isinstance(table.c[name].type, LargeBinary) else None for name in columns]
    quoted = ", ".join(f'"{name}"' for name in columns)
    driver = driver_connection(conn)

    def values(row: dict[str, Any]) -> list[Any]:
        raw = [row[name] for name in names] + [make() for _, make in defaults]
        return [v if p is None or v is None else p(v) for v, p in zip(raw, procs, strict=True)]

    if dialect.name != "postgresql":
        marks = ", ".join("?" for _ in columns)
        cursor = driver.cursor()
        try:
            cursor.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})',
                               [values(row) for row in rows])
        finally:
            cursor.close()
        return
    # Written in blocks while the server already processes the earlier ones, so that
    # formatting here overlaps with index and foreign-key work there.
    with driver.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for i in range(0, len(rows), CHUNK):
                copy.write("".join(["\t".join([_copy_text(v) for v in values(row)]) + "\n"
                                    for row in rows[i : i + CHUNK]]))


_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_SPECIAL)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"no COPY text form for {type(value).__name__}")


def lookup(session: Session, key: Any, keys: Iterable[Any], *values: Any) -> dict[Any, Any]:
    """``{key: value}`` (or ``{key: (value, …)}`` for several columns) for the rows whose
    ``key`` column is in ``keys``.  Plain columns only (no type processing)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    conn = session.connection()
    names = ", ".join(f'"{c.name}"' for c in (key, *values))
    table = key.table.name
    rows: list[Any] = []
    if conn.dialect.name == "postgresql":
        statement = text(f'SELECT {names} FROM "{table}" WHERE "{key.name}" = ANY(:keys)')
        rows = list(conn.execute(statement, {"keys": wanted}).all())
    else:  # the driver directly: compiling 50 IN-lists costs more than running them
        cursor = driver_connection(conn).cursor()
        try:
            for i in range(0, len(wanted), CHUNK):
                chunk = wanted[i : i + CHUNK]
                marks = ", ".join("?" for _ in chunk)
                rows += cursor.execute(f'SELECT {names} FROM "{table}" WHERE "{key.name}" '
                                       f"IN ({marks})", chunk).fetchall()
        finally:
            cursor.close()
    if len(values) == 1:
        return {r[0]: r[1] for r in rows}
    return {r[0]: tuple(r[1:]) for r in rows}
