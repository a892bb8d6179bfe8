"""Receipt lookup: is the ballot behind a tracker code in the log?

The tracker code is the first 100 bits of the ballot's entry hash (base32,
``ABCD-EFGH-IJKL-MNOP-QRST``).  The page finds the entry, proves it is in
the newest signed checkpoint (inclusion proof checked against the log key
here, with the same functions ``ownervote verify`` uses) and says whether it
still counts.  It never shows the choices: whoever holds a tracker learns
only that the ballot is recorded (the owner sees their own choices on their
receipt).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

from flask import render_template, request
from sqlalchemy import func, select

from ledger import merkle, store
from ledger.entries import BALLOT, PAPER_BALLOT
from ledger.errors import LedgerError
from ledger.models import LedgerEntry
from ledger.note import Verifier, open_checkpoint
from ledger.receipts import tracker_code
from web.access import public
from web.auditor import bp, records
from web.database import db
from web.extensions import limiter

TRACKER = re.compile(r"^[A-Z2-7]{20}$")


def normalise(text: str) -> str | None:
    """``abcd efgh-…`` → ``ABCD-EFGH-…``; None unless 20 base32 letters."""
    raw = re.sub(r"[\s\-‐‑–—]", "", text or "").upper()
    if not TRACKER.match(raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, 20, 4))


@dataclass(frozen=True)
class Found:
    index: int
    kind: str  # ballot | paper_ballot
    recorded_at: dt.datetime
    checkpoint_size: int | None  # newest signed checkpoint containing it (proof checked)
    voided: bool
    later_ballot: bool


def lookup(assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
    raw = tracker.replace("-", "")
    prefix = base64.b32decode(raw + "====")[:12]  # 96 of the tracker's 100 bits
    rows = db().execute(
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.entry_hash,
               LedgerEntry.head_id, LedgerEntry.voided_by)
        .where(LedgerEntry.assembly_id == assembly_id,
               LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
               func.substr(LedgerEntry.entry_hash, 1, 12) == prefix)
    ).all()
    match = next((r for r in rows if tracker_code(bytes(r.entry_hash)) == tracker), None)
    if match is None:
        return None
    later = db().scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.head_id == match.head_id,
        LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)), LedgerEntry.index > match.index,
        LedgerEntry.voided_by.is_(None)))
    return Found(match.index, match.kind, records.entry_time(assembly_id, match.index),
                 _proved_in(assembly_id, log_vkey, match.index, bytes(match.entry_hash)),
                 match.voided_by is not None, bool(later))


def _proved_in(assembly_id: int, log_vkey: str, index: int, leaf: bytes) -> int | None:
    """Size of the newest signed checkpoint whose root provably includes the entry."""
    row = records.latest_checkpoint(assembly_id)
    if row is None or row.size <= index:
        return None
    try:
        cp, _note = open_checkpoint(row.note, Verifier.parse(log_vkey))
        proof = store.inclusion_proof(db(), assembly_id, index, cp.size)
        merkle.verify_inclusion(leaf, index, cp.size, proof, cp.root)
    except LedgerError:
        return None
    return cp.size


@bp.get("/assemblies/<int:assembly_id>/receipts")
@public
@limiter.limit("60 per minute")
def receipt_lookup(assembly_id: int):
    rec = records.record_or_404(assembly_id)
    typed = request.args.get("tracker", "")
    tracker = normalise(typed) if typed else None
    found = lookup(assembly_id, rec.head.log_vkey, tracker) if tracker else None
    status = 200
    if typed and tracker is None:
        status = 400
    return render_template("auditor/receipt.html", rec=rec, typed=typed, tracker=tracker,
                           found=found), status
