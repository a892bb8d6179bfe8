"""Figures the dashboard and the announcement show, read from the ledger.

The computing is :mod:`ownervote.services.figures` (the published roster and the
ballots that count in the log); these are the console's shortcuts to it on the
request's session, for this package's views.
"""

from __future__ import annotations

from typing import Any

from ownervote.services import figures
from ownervote.services.figures import (  # noqa: F401  (the console's views import them here)
    Owed,
    Part,
    Snapshot,
    building_parts,
    head_units,
    item_parts,
    overall_part,
    voter_units,
)
from web import instance
from web.database import db


def snapshot(a: Any) -> Snapshot:
    """The published roster, items and counted ballots of the assembly ``a``, now."""
    return figures.snapshot(db(), a.id)


def non_voters(a: Any, s: Snapshot, building: str | None = None) -> list[Owed]:
    return figures.non_voters(db(), a, s, building, cipher=instance.pii())


def unit_owners(a: Any) -> dict[str, list[tuple[int, str]]]:
    """Unit label -> [(owner id, masked name)] in the assembly's frozen roster."""
    return figures.unit_owners(db(), a, cipher=instance.pii())


def accounts_of(owner_ids: list[int]) -> list:
    return figures.accounts_of(db(), owner_ids)
