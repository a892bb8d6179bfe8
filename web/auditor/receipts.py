"""Receipt lookup: is the ballot behind a tracker code in the log?

The tracker code is the first 100 bits of the ballot's entry hash (base32,
``ABCD-EFGH-IJKL-MNOP-QRST``).  The lookup itself is the JSON API's
(``GET /api/v1/assemblies/<id>/receipts/<tracker>``, :func:`web.api.assemblies.receipt_lookup`)
when that module is installed, else the ledger directly
(:func:`ownervote.services.public_records.receipt`).  Either way
this page checks the answer's inclusion proof against the newest checkpoint,
whose signature it checks with the log key (the same functions ``ownervote
verify`` uses).  It never shows the choices nor whether the ballot still counts
(voided, or replaced by a later ballot): shown a tracker code, a vote buyer must not
learn whether the owner revoted.  The owner who cast it sees both on their own receipt
page, signed in; readers of the audit bundle see every ballot there.
"""

from __future__ import annotations

import re

from flask import current_app, render_template, request

from ownervote.services import public_records
from ownervote.services.public_records import Found, checked_size
from web.access import public
from web.auditor import bp, records
from web.database import db
from web.extensions import limiter

TRACKER = re.compile(r"^[A-Z2-7]{20}$")
_checked = checked_size  # the one check of a checkpoint and an inclusion proof


def normalise(text: str) -> str | None:
    """``abcd efgh-…`` → ``ABCD-EFGH-…``; None unless 20 base32 letters."""
    raw = re.sub(r"[\s\-‐‑–—]", "", text or "").upper()
    if not TRACKER.match(raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, 20, 4))


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
        from web.api.protocol import ApiError
    except ImportError:
        return None
    return receipt_lookup, ApiError


def _from_api(api, assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
    receipt_lookup, api_error = api
    try:
        answer = receipt_lookup(assembly_id, tracker, as_viewer=False)
    except api_error as exc:
        if exc.status == 404:
            return None
        raise
    size = _checked(answer["checkpoint"]["note"], log_vkey, answer["index"],
                    bytes.fromhex(answer["entry_hash"]),
                    [bytes.fromhex(h) for h in answer["inclusion"]])
    return Found(answer["index"], answer["kind"], records.entry_time(assembly_id, answer["index"]),
                 size)


def _from_ledger(assembly_id: int, log_vkey: str, tracker: str) -> Found | None:
    return public_records.receipt(db(), assembly_id, log_vkey, tracker)


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
