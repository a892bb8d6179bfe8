"""The web shell's layering: listeners registered by the engine set-up, not by imports;
the shell's own modules read and write only through the services."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter: which SQLAlchemy listeners are on the Session, Engine and Pool
# classes (every instance's) before and after importing every module of ours.
_PROBE = r"""
import importlib, json, pkgutil
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

CLASSES = (Session, Engine, Connection, Pool)


def listeners():
    out = {}
    for cls in CLASSES:
        for name in cls.dispatch._event_names:
            n = len(getattr(cls.dispatch, name)._clslevel.get(cls, ()))
            if n:
                out[f"{cls.__name__}.{name}"] = n
    return out


before = listeners()
imported = []
for top in ("voting", "identity", "ledger", "ownervote", "web"):
    package = importlib.import_module(top)
    imported.append(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        if ".migrations" in info.name:  # Alembic's env.py runs migrations when imported
            continue
        importlib.import_module(info.name)
        imported.append(info.name)
from ledger.store import castpath, sqlitegate
named = {
    f"{fn.__module__}.{fn.__name__} on {cls.__name__}.{name}":
        event.contains(cls, name, fn)
    for cls, name, fn in [
        *[(Session, name, fn) for name, fn in castpath.SESSION_LISTENERS],
        (Session, "after_transaction_end", sqlitegate._open),
        (Engine, "checkin", sqlitegate._open_on_checkin),
    ]
}
print(json.dumps({"before": before, "after": listeners(), "imported": imported,
                  "named": named}))
"""


def test_importing_our_modules_installs_no_global_listener() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    for module in ("ledger.store.models", "identity.store.models", "voting.store.models",
                   "ledger.store.castpath", "ledger.store.sqlitegate", "ownervote.db",
                   "ownervote.services.engine", "web.database"):
        assert module in found["imported"]
    assert found["before"] == {}
    assert found["after"] == {}, "a module registers SQLAlchemy listeners when imported"
    assert not any(found["named"].values()), found["named"]


def _sessions(app):
    return app.extensions["ownervote.sessionmaker"]


def test_the_apps_sessions_have_the_storage_listeners(app) -> None:
    from sqlalchemy import event

    from ledger.store import castpath, sqlitegate

    factory = _sessions(app)
    for name, listener in castpath.SESSION_LISTENERS:
        assert event.contains(factory, name, listener), name
    assert event.contains(factory, "after_transaction_end", sqlitegate._open)  # noqa: SLF001


def test_every_new_session_factory_and_engine_gets_its_listeners(tmp_path) -> None:
    """SQLAlchemy's listener registry is keyed by ``id()``: a factory made after another was
    collected may get its id, and must still get every listener (once)."""
    import gc

    from ownervote.db import make_engine, make_session_factory

    for n in range(20):
        engine = make_engine(f"sqlite:///{tmp_path / f'{n}.sqlite3'}")
        for _ in range(5):
            factory = make_session_factory(engine)
            session = factory()
            try:
                assert len(session.dispatch.before_commit) == 1
                assert len(session.dispatch.do_orm_execute) == 1
                assert len(session.dispatch.after_transaction_end) == 2  # memo's, gate's
            finally:
                session.close()
            del factory, session
            gc.collect()
        assert len(engine.pool.dispatch.checkin) == 1
        assert len(engine.dispatch.begin) == 1
        engine.dispose()
        del engine
        gc.collect()


def test_the_apps_sqlite_engine_has_its_pragmas_and_begin(app, backend) -> None:
    from sqlalchemy import event

    from ledger.store import sqlitegate
    from ownervote import db as storage

    engine = app.extensions["ownervote.engine"]
    if backend != "sqlite":
        assert not event.contains(engine, "begin", storage._begin)  # noqa: SLF001
        return
    for name, listener in storage.SQLITE_ENGINE_LISTENERS:
        assert event.contains(engine, name, listener), name
    assert event.contains(engine, "checkin", sqlitegate._open_on_checkin)  # noqa: SLF001
    with engine.connect() as conn:
        pragma = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                  for p in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")}
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 2,
                      "busy_timeout": 30000}


def _other_writer_may_begin(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


@pytest.mark.parametrize("backend", ["sqlite"])  # BEGIN IMMEDIATE and the gate are SQLite's
def test_a_unit_of_work_begins_immediate_behind_the_gate(app, backend) -> None:
    from ledger.store import sqlitegate
    from ownervote.services.unit_of_work import writing

    engine = app.extensions["ownervote.engine"]
    path = engine.url.database
    session = _sessions(app)()
    try:
        with session.begin():  # a reader's transaction takes no lock
            session.connection()
            assert _other_writer_may_begin(path)
        with writing(session):
            gate = sqlitegate.gate_for(session)
            assert gate is not None and gate.owner is not None  # passed the gate
            assert not _other_writer_may_begin(path)  # and holds SQLite's write lock
        assert gate.owner is None  # the end of the transaction opened the gate
        assert _other_writer_may_begin(path)
    finally:
        session.close()


# -- the shell's own modules ------------------------------------------------------------------

SHELL_MODULES = [
    "web/__init__.py", "web/appclass.py", "web/auth.py", "web/access.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "web" / "auditor").glob("*.py")),
    "web/public.py", "web/supervisor.py", "web/resilience.py", "web/database.py",
    "web/instance.py", "web/extensions.py", "web/security.py",
    "web/errors.py", "web/i18n.py", "web/pdf.py", "web/pdfcache.py", "web/pdffont.py",
    "web/qr.py", "web/templating.py",
    "web/blueprints.py", "web/charts.py",
]
STORAGE = ("sqlalchemy", "ownervote.db", "ownervote.models", "ownervote.audit",
           "ownervote.migrate")


def _imports(tree: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append(node.module)
    return out


@pytest.mark.parametrize("path", SHELL_MODULES)
def test_a_shell_module_reaches_storage_only_through_services(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for name in _imports(tree):
        assert not any(name == s or name.startswith(s + ".") for s in STORAGE), name
        assert ".store." not in name + ".", name
    calls = {node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert not calls & {"commit", "rollback", "begin_write"}, path


def test_a_service_that_finds_nothing_is_a_404(app) -> None:
    from ownervote.services.errors import NotFound

    @app.get("/_test/missing")
    def _missing():
        raise NotFound("assembly", 7)

    _missing.allowed_roles = None
    client = app.test_client()
    r = client.get("/_test/missing")
    assert r.status_code == 404
    assert "无法完成此操作" in r.get_data(as_text=True)
    assert client.get("/audit/assemblies/987654/checkpoints/1/note").status_code == 404
