"""The layer rules of scripts/check_layers.py (docs/architecture.md), and the code keeps them.

``./dev lint`` runs the script on every module; these tests pin what it allows and
refuses, so a change to the rules is a deliberate one.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def layers():
    spec = importlib.util.spec_from_file_location("check_layers",
                                                  ROOT / "scripts" / "check_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module  # its dataclass looks its module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["check_layers"]
    return module


@pytest.mark.parametrize(("module", "layer"), [
    ("voting.tally", "pure"), ("ledger.secret.group", "pure"), ("ledger.store.writer", "storage"),
    ("ownervote.db", "storage"), ("ownervote.migrations.env", "storage"),
    ("ownervote.services.demo", "services"), ("web.pdf", "shell"),
    ("ownervote.commands.demo_witness", "shell"), ("ownervote", None), ("flask", None),
])
def test_each_module_has_its_layer(layers, module: str, layer: str | None) -> None:
    assert layers.layer_of(module) == layer


@pytest.mark.parametrize(("importer", "imported"), [
    ("voting.tally", "voting.heads"), ("identity.transfer", "voting.casting"),
    ("ledger.verifier", "identity.keyed"), ("ledger.store.sales", "voting.sales"),
    ("ownervote.services.figures", "ledger.store.writer"), ("web.pdf", "ownervote.config"),
    ("ownervote.commands.demo", "ownervote.services.demo"), ("web.app", "flask"),
    ("ownervote.services.keys", "ownervote.config"),
])
def test_an_import_down_the_layers_is_allowed(layers, importer: str, imported: str) -> None:
    assert layers.check_import(importer, imported) is None


@pytest.mark.parametrize(("importer", "imported", "why"), [
    ("voting.tally", "identity.keyed", "not the other way round"),
    ("ledger.replay", "ledger.store.logstore", "only pure modules"),
    ("voting.heads", "sqlalchemy", "no storage, web or server library"),
    ("ledger.witness", "fcntl", "no storage, web or server library"),
    ("identity.pii", "ownervote.config", "reads no settings"),
    ("web.pdf", "ledger.store.writer", "only through ownervote.services"),
    ("ownervote.commands.demo", "ownervote.db", "only through ownervote.services"),
    ("ledger.store.writer", "ownervote.services.casting", "above it"),
    ("ownervote.services.demo", "web.qr", "above it"),
])
def test_an_import_up_the_layers_is_refused(layers, importer: str, imported: str,
                                            why: str) -> None:
    refusal = layers.check_import(importer, imported)
    assert refusal is not None and why in refusal


def test_imports_inside_functions_and_type_checking_count(layers) -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from ledger.store import writer\n"
                     "def f():\n    import sqlalchemy\n    from . import heads\n")
    found = layers.imports(tree, "voting.tally", False)
    assert (3, "ledger.store.writer") in found and (5, "sqlalchemy") in found
    assert (6, "voting.heads") in found


def test_every_module_keeps_to_its_layer(layers) -> None:
    assert [str(v) for v in layers.violations()] == []
