"""The test suite's own layout: no test module imports another, and the markers select.

* Every Python file under ``tests/`` is parsed with :mod:`ast`; none imports a test
  module (``tests/**/test_*.py``) or a ``conftest.py``, whether with ``import``,
  ``from ... import``, relative or inside a function.  Shared plain helpers live in
  ``tests/support/``, shared fixtures in the ``conftest.py`` of the folder that uses
  them.
* ``pytest -m browser`` selects exactly the tests of ``tests/browser/`` and
  ``-m production`` exactly those of ``tests/production/`` (each folder's conftest
  marks them); ``-m db`` selects exactly the tests run once per database backend.
  Checked by collecting the suite (``--collect-only``, nothing runs) in a subprocess,
  as ``docs/CONTRIBUTING.md`` documents.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def _python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "data" not in p.relative_to(TESTS).parts)


def _is_test_module(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return dotted.split(".")[0] == "tests" and (last.startswith("test_") or last == "conftest")


def imports_of_test_modules(source: str, package: list[str]) -> list[str]:
    """The test modules (dotted names, with their line) that ``source`` imports; ``package``:
    the dotted parts of the package the source is in (for relative imports)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # `from tests import test_x` imports a module; so may `from tests.web import x`
            names = [module] if _is_test_module(module) else [
                f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [f"{name} (line {node.lineno})" for name in names if _is_test_module(name)]
    return found


def imported_test_modules(path: Path) -> list[str]:
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    return imports_of_test_modules(path.read_text(encoding="utf-8"), package)


def test_the_import_check_sees_every_form() -> None:
    source = ("import tests.web.test_web_auth\n"
              "from tests import test_x\n"
              "from tests.browser.conftest import helper\n"
              "from .conftest import world\n"
              "from . import test_web_shell\n"
              "from ..db.test_ledger_store import log\n"
              "def f():\n"
              "    from tests.db.test_ledger_store import x\n"
              "from tests.support.worlds import build_world\n"
              "from tests.support import phones\n"
              "import tests.support.phones\n")
    found = [name.split(" ")[0] for name in imports_of_test_modules(source, ["tests", "web"])]
    assert found == ["tests.web.test_web_auth", "tests.test_x", "tests.browser.conftest",
                     "tests.web.conftest", "tests.web.test_web_shell",
                     "tests.db.test_ledger_store", "tests.db.test_ledger_store"], found


def test_no_test_module_imports_another() -> None:
    files = _python_files()
    assert len(files) > 60 and TESTS / "conftest.py" in files
    offenders = {str(p.relative_to(ROOT)): found for p in files
                 if (found := imported_test_modules(p))}
    assert offenders == {}, (
        "test modules import other test modules; move shared helpers to tests/support/ "
        f"and shared fixtures to a conftest.py: {offenders}")


def test_support_modules_are_not_collected_as_tests() -> None:
    named_like_tests = [p.name for p in (TESTS / "support").glob("*.py")
                        if p.name.startswith("test_") or p.name == "conftest.py"]
    assert named_like_tests == []


@cache
def collected(marker: str | None = None, *paths: str) -> frozenset[str]:
    """Test ids collected (nothing runs) from ``paths`` (the whole suite if none)."""
    args = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
            "-p", "no:xdist", *(("-m", marker) if marker else ()), *paths]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return frozenset(line for line in done.stdout.splitlines() if "::" in line)


@pytest.mark.parametrize("marker", ["browser", "production"])
def test_a_folder_marker_selects_its_folder_and_only_it(marker: str) -> None:
    everything = collected()
    folder = frozenset(t for t in everything if t.startswith(f"tests/{marker}/"))
    assert len(folder) >= 10, sorted(everything)[:5]
    assert collected(marker) == folder


def test_the_db_marker_selects_the_tests_run_on_both_databases() -> None:
    everything = collected()
    per_backend = frozenset(t for t in everything
                            if t.endswith(("[sqlite]", "[postgresql]"))
                            or "[sqlite-" in t or "[postgresql-" in t)
    assert collected("db") == per_backend
    assert any(t.startswith("tests/db/") for t in per_backend)
    assert any(t.startswith("tests/web/") for t in per_backend)
