"""The rows the casting path reads and writes, as plain frozen values (no ORM objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.kinds import BALLOT, PAPER_BALLOT, REPRESENTATIVE_SET, UNIT_TRANSFERRED

Node = tuple[int, int]
#: (index, kind, seq, voided_by, body) of an entry the casting rules read about a head
HeadEntryRow = tuple[int, str, int | None, int | None, bytes]

#: The entries the casting rules read about a head (:mod:`ledger.store.headstate`).
HEAD_KINDS = (BALLOT, PAPER_BALLOT, REPRESENTATIVE_SET, UNIT_TRANSFERRED)
#: The entries that are ballots.
BALLOT_KINDS = (BALLOT, PAPER_BALLOT)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A row of ``ledger_key`` as the casting rules read it."""

    kind: str
    head_id: str | None
    role: str
    agent: str | None
    voter: str | None
    revoked_index: int | None


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A row of ``checkpoint`` as the casting path reads and writes it (no ORM object)."""

    id: int
    assembly_id: int
    size: int
    root: bytes
    note: str
    created_at: dt.datetime
