"""Receipt lookup: is the ballot behind a tracker code in the log?

The tracker code is the first 100 bits of the ballot's entry hash (base32,
``ABCD-EFGH-IJKL-MNOP-QRST``).  The lookup itself is the JSON API's
(``GET /api/v1/assemblies/<id>/receipts/<tracker>``, :func:`web.api.assemblies.receipt_lookup`)
when that module is installed, else the ledger tables directly.  Either way
this page checks the answer's inclusion proof against the newest checkpoint,
whose signature it checks with the log key (the same functions ``ownervote
verify`` uses), and says whether the ballot still counts.  It never shows the
choices: the person who owns the receipt sees them on their own receipt page.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app, render_template, request
from sqlalchemy import func, select

from ledger import merkle
from ledger.entries import BALLOT, PAPER_BALLOT
from ledger.errors import LedgerError
from ledger.note import Verifier, open_checkpoint
from ledger.receipts import tracker_code
from ledger.store import logstore
from ledger.store.models import LedgerEntry
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
    later_ballot: bool  # a later ballot of the same head replaces it on some item
    replaced_items: tuple[str, ...] = ()  # those items, when known


def lookup(assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
    api = _api_lookup()
    if api is not None:
        return _from_api(api, assembly_id, log_vkey, tracker)
    return _from_ledger(assembly_id, log_vkey, tracker)


def _api_lookup():
    """The JSON API's lookup function if its route is served, else None."""
    if "api.receipt" not in current_app.view_functions:
        return None
    try:
        from web.api.assemblies import receipt_lookup
        from web.api.common import ApiError
    except ImportError:
        return None
    return receipt_lookup, ApiError


def _from_api(api, assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
    receipt_lookup, api_error = api
    try:
        answer = receipt_lookup(assembly_id, tracker)
    except api_error as exc:
        if exc.status == 404:
            return None
        raise
    size = _checked(answer["checkpoint"]["note"], log_vkey, answer["index"],
                    bytes.fromhex(answer["entry_hash"]),
                    [bytes.fromhex(h) for h in answer["inclusion"]])
    replaced = tuple(sorted(answer.get("replaced") or {}, key=int))
    return Found(answer["index"], answer["kind"], records.entry_time(assembly_id, answer["index"]),
                 size, bool(answer["voided"]), bool(replaced), replaced)


def _from_ledger(assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
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
    row = records.latest_checkpoint(assembly_id)
    size = None
    if row is not None and row.size > match.index:
        proof = logstore.inclusion_proof(db(), assembly_id, match.index, row.size)
        size = _checked(row.note, log_vkey, match.index, bytes(match.entry_hash), proof)
    return Found(match.index, match.kind, records.entry_time(assembly_id, match.index), size,
                 match.voided_by is not None, bool(later))


def _checked(note: str, log_vkey: str, index: int, leaf: bytes, proof: list[bytes]) -> int | None:
    """The checkpoint's size if its log signature and the entry's inclusion proof hold."""
    try:
        cp, _note = open_checkpoint(note, Verifier.parse(log_vkey))
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
    return render_template("auditor/receipt.html", rec=rec, typed=typed, tracker=tracker,
                           found=found)
