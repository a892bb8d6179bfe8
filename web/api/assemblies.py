"""Public reads: assemblies, the newest signed checkpoint, and ballot lookup by tracker code.

Everything here is public: the agenda and participation are on the notice,
and a ballot's entry, proofs and checkpoints are in the audit bundle anyway.
A tracker code (100 bits of the entry hash) finds the ballot; the answer has
what a browser needs to check, without trusting this server, that the entry
is in the log the log key signed: the entry's bytes, an inclusion proof into
the newest checkpoint, and (``?from=N``) a consistency proof from the
checkpoint of size N a receipt holds.
"""

from __future__ import annotations

import base64
import re

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger import timestamps
from ledger.entries import BALLOT, PAPER_BALLOT, parse_entry
from ledger.note import parse_note
from ledger.receipts import tracker_code
from ledger.store import logstore
from ledger.store.checkpoints import cosigned_note, latest
from ledger.store.models import LedgerEntry
from voting.store.models import Assembly
from web.access import public
from web.api import bp
from web.api.common import VISIBLE, ApiError, iso, iso_ms, log_head, visible_assembly
from web.api.data import assembly_json
from web.api.heads import own_ballots
from web.database import db

TRACKER = re.compile(r"^[A-Z2-7]{4}(?:-?[A-Z2-7]{4}){4}$")
_NO_CHECKPOINT = _l("The ledger has no signed checkpoint yet.")
_BAD_TRACKER = _l("A tracker code has 20 letters and digits in five groups of four, like "
                  "ABCD-EFGH-JKLM-NPQR-STUV.")
_NO_BALLOT = _l("No ballot with this tracker code is in this assembly's ledger. Please check "
                "the code.")
_BAD_FROM = _l("\u201cfrom\u201d must be the size of an earlier checkpoint of this ledger.")


@bp.get("/assemblies")
@public
def assemblies():
    rows = db().scalars(select(Assembly).where(Assembly.status.in_(VISIBLE))
                        .order_by(Assembly.id.desc())).all()
    return jsonify({"assemblies": [
        {"id": a.id, "title": a.title, "status": a.status, "opens_at": iso(a.opens_at),
         "closes_at": iso(a.closes_at)} for a in rows]})


@bp.get("/assemblies/<int:assembly_id>")
@public
def assembly(assembly_id: int):
    a = visible_assembly(assembly_id)
    return jsonify(assembly_json(a, now_ms=timestamps.now_ms()))


def _consistency(assembly_id: int, newest: int) -> dict | None:
    raw = request.args.get("from")
    if raw is None:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= newest:
        raise ApiError(400, "malformed", str(_BAD_FROM), field="from")
    old = int(raw)
    proof = logstore.consistency_proof(db(), assembly_id, old, newest)
    return {"from": old, "to": newest, "proof": [p.hex() for p in proof]}


def _checkpoint_json(assembly_id: int) -> dict:
    a = visible_assembly(assembly_id)
    head = log_head(a)
    row = latest(db(), a.id)
    if row is None:
        raise ApiError(404, "no_checkpoint", str(_NO_CHECKPOINT))
    note = cosigned_note(db(), row)
    witnesses = [s.name for s in parse_note(note).signatures[1:]]
    return {"origin": head.origin, "log_key": head.log_vkey, "size": row.size,
            "root": bytes(row.root).hex(), "note": note, "signed_at": iso(row.created_at),
            "witnesses": witnesses}


@bp.get("/assemblies/<int:assembly_id>/checkpoint")
@public
def checkpoint(assembly_id: int):
    body = _checkpoint_json(assembly_id)
    body["consistency"] = _consistency(assembly_id, body["size"])
    return jsonify(body)


def normalise_tracker(text: str) -> str | None:
    """``abcd efgh-…`` → ``ABCD-EFGH-…``; None if it cannot be a tracker code."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    if len(cleaned) != 20 or not TRACKER.match(cleaned):
        return None
    return "-".join(cleaned[i:i + 4] for i in range(0, 20, 4))


def find_by_tracker(assembly_id: int, tracker: str) -> LedgerEntry | None:
    """The ballot whose entry hash the tracker code prefixes (100 bits: a range scan)."""
    raw = base64.b32decode(tracker.replace("-", "") + "AAAA")[:13]  # 100 bits + 4 zero bits
    low, high = raw, raw[:12] + bytes([raw[12] | 0x0F]) + b"\xff" * 19
    rows = db().scalars(select(LedgerEntry).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
        LedgerEntry.entry_hash >= low, LedgerEntry.entry_hash <= high)).all()
    return next((r for r in rows if tracker_code(bytes(r.entry_hash)) == tracker), None)


def receipt_lookup(assembly_id: int, tracker_text: str) -> dict:
    """The lookup answer (also used by the receipt page)."""
    tracker = normalise_tracker(tracker_text)
    if tracker is None:
        raise ApiError(400, "bad_tracker", str(_BAD_TRACKER))
    cp = _checkpoint_json(assembly_id)
    entry = find_by_tracker(assembly_id, tracker)
    if entry is None or entry.index >= cp["size"]:
        raise ApiError(404, "no_such_ballot", str(_NO_BALLOT))
    parsed = parse_entry(bytes(entry.body), entry.index)
    payload = parsed.body["payload"]
    ballots = own_ballots(assembly_id, entry.head_id)
    mine = next(b for b in ballots if b["index"] == entry.index)
    replaced = {}
    for item in payload["choices"]:
        if item not in mine["counts_for"]:
            later = [b["index"] for b in ballots if item in b["counts_for"]]
            replaced[item] = later[0] if later else None
    return {
        "tracker": tracker,
        "index": entry.index,
        "kind": entry.kind,
        "entry": bytes(entry.body).decode("utf-8"),
        "entry_hash": bytes(entry.entry_hash).hex(),
        "time": iso_ms(parsed.time),
        "head": entry.head_id,
        "seq": payload["seq"],
        "choices": payload["choices"],
        "voided": entry.voided_by is not None,
        "counts_for": mine["counts_for"],
        "replaced": replaced,
        "checkpoint": cp,
        "inclusion": [p.hex() for p in logstore.inclusion_proof(db(), assembly_id, entry.index,
                                                             cp["size"])],
        "consistency": _consistency(assembly_id, cp["size"]),
    }


@bp.get("/assemblies/<int:assembly_id>/receipts/<tracker>")
@public
def receipt(assembly_id: int, tracker: str):
    return jsonify(receipt_lookup(assembly_id, tracker))
