"""Check the layers: pure core <- storage <- services <- web / command line.

Run by ``./dev lint`` (and so by CI) and by ``tests/unit/test_layers.py``.  Every
``import`` statement of every module is read with :mod:`ast` (those inside functions
and under ``TYPE_CHECKING`` too), and each import must point to a layer at or below
the importer's own:

=========  ==========================================================  =====================
layer      modules                                                     may import (ours)
=========  ==========================================================  =====================
pure       ``voting``, ``identity``, ``ledger`` without their          pure modules only,
           ``store`` subpackages                                       in the order voting
                                                                       <- identity <- ledger
storage    ``voting.store``, ``identity.store``, ``ledger.store``,     pure, storage
           ``ownervote.db``, ``ownervote.models``,
           ``ownervote.audit``, ``ownervote.migrate``,
           ``ownervote.migrations``
services   ``ownervote.services``                                      pure, storage,
                                                                       services
shell      ``web``, ``ownervote.cli``, ``ownervote.commands``,         pure, services,
           ``ownervote.demo``, ``ownervote.timer``,                    shell (never storage)
           ``ownervote.geventpg``
=========  ==========================================================  =====================

``ownervote.config`` (settings read from the environment; no storage) may be imported
by every layer but the pure one.  The pure layer also imports none of the libraries of
the imperative shell: SQLAlchemy, Alembic, Flask (and its extensions), Werkzeug,
gevent, psycopg, redis, gunicorn or fcntl.

Exit status 0 when every import keeps to its layer, 1 otherwise (each offending import
named with its file and line).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("voting", "identity", "ledger", "web", "ownervote")
DOMAIN_ORDER = ("voting", "identity", "ledger")  # a domain imports only those before it
SHELL_LIBRARIES = frozenset({
    "sqlalchemy", "alembic", "flask", "flask_login", "flask_wtf", "flask_limiter",
    "flask_babel", "werkzeug", "gevent", "psycopg", "psycopg_pool", "redis", "gunicorn",
    "fcntl",
})
STORAGE_KERNEL = ("ownervote.db", "ownervote.models", "ownervote.audit", "ownervote.migrate",
                  "ownervote.migrations")
SHELL = ("web", "ownervote.cli", "ownervote.commands", "ownervote.demo", "ownervote.timer",
         "ownervote.geventpg")
SETTINGS = "ownervote.config"
RANK = {"pure": 0, "storage": 1, "services": 2, "shell": 3}


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    importer: str
    imported: str
    why: str

    def __str__(self) -> str:
        return (f"{self.path.relative_to(ROOT)}:{self.line}: {self.importer} imports "
                f"{self.imported}: {self.why}")


def _within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_of(module: str) -> str | None:
    """The layer of one of our modules (None: not ours, or ``ownervote`` itself)."""
    top = module.split(".")[0]
    if top in DOMAIN_ORDER:
        return "storage" if _within(module, f"{top}.store") else "pure"
    if _within(module, STORAGE_KERNEL):
        return "storage"
    if _within(module, "ownervote.services"):
        return "services"
    if _within(module, SHELL):
        return "shell"
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(tree: ast.AST, module: str, is_package: bool,
            root: Path = ROOT) -> list[tuple[int, str]]:
    """Every module named by an import statement, with its line (relative ones resolved).

    ``from ledger.store import models`` names the submodule ``ledger.store.models``;
    ``from ledger.errors import LedgerError`` names ``ledger.errors``.
    """
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] not in PACKAGES:
                found.add((node.lineno, base))
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add((node.lineno, sub if _is_module(root, sub) else base))
    return sorted(found)


def _is_module(root: Path, module: str) -> bool:
    base = root.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def check_import(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported`` (None: it may)."""
    own = layer_of(importer)
    if own is None:
        return None
    top = imported.split(".")[0]
    if own == "pure" and top in SHELL_LIBRARIES:
        return "the pure core imports no storage, web or server library"
    if top not in PACKAGES:
        return None
    if _within(imported, SETTINGS):
        return "the pure core reads no settings" if own == "pure" else None
    target = layer_of(imported)
    if target is None:
        return None  # the ``ownervote`` package itself (its __init__ holds only a version)
    if own == "pure":
        if target != "pure":
            return "the pure core imports only pure modules"
        mine, theirs = DOMAIN_ORDER.index(importer.split(".")[0]), DOMAIN_ORDER.index(top)
        if theirs > mine:
            return f"{top} is built on {importer.split('.')[0]}, not the other way round"
        return None
    if own == "shell" and target == "storage":
        return "web and the command line reach storage only through ownervote.services"
    if RANK[target] > RANK[own]:
        return f"a {own} module imports nothing from the {target} layer above it"
    return None


def violations(root: Path = ROOT) -> list[Violation]:
    found: list[Violation] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, imported in imports(tree, module, path.name == "__init__.py", root):
                why = check_import(module, imported)
                if why:
                    found.append(Violation(path, line, module, imported, why))
    return found


def main() -> int:
    found = violations()
    for v in found:
        print(v)
    if found:
        print(f"layers: {len(found)} import(s) cross a layer the wrong way (scripts/"
              "check_layers.py says which layer may import which)", file=sys.stderr)
        return 1
    print("layers: every import keeps to its layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
