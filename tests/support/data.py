"""Where the tests' data files are (``tests/data/``)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
REGISTRY_DATA = DATA / "registry"  # registry extracts: small.csv, its GB18030 copy, bad ones
