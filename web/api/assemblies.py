"""Public reads: assemblies, the newest signed checkpoint, and ballot lookup by tracker code.

Everything here is public: the agenda and participation are on the notice, and
checkpoints are signed for everyone.  A tracker code (100 bits of the entry hash)
finds the ballot; the answer has what a browser needs to check, without trusting
this server, that the ballot is in the log the log key signed: its entry hash, an
inclusion proof into the newest checkpoint, and (``?from=N``) a consistency proof
from the checkpoint of size N a receipt holds.  The entry's bytes, its choices and
whether it still counts are added only for the owner who votes for the ballot's head,
signed in (:func:`ownervote.services.receipts.lookup`): a tracker code shown to a vote
buyer tells them the ballot is in the log, not whether the owner revoted.
"""

from __future__ import annotations

import re

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ledger import timestamps
from ownervote.services import owner_assemblies, receipts, secret_assemblies
from ownervote.services.errors import NotFound
from ownervote.services.receipts import Checkpoint, Consistency, LookupRefusal, LookupRefused
from web import instance
from web.access import public
from web.api import bp
from web.api.data import assembly_json
from web.api.owner_session import visible_assembly
from web.api.protocol import ApiError, iso, iso_ms, not_found
from web.database import db
from web.numbers import whole_number_or_none

TRACKER = re.compile(r"^[A-Z2-7]{4}(?:-?[A-Z2-7]{4}){4}$")
_NO_CHECKPOINT = _l("The ledger has no signed checkpoint yet.")
_BAD_TRACKER = _l("A tracker code has 20 letters and digits in five groups of four, like "
                  "ABCD-EFGH-JKLM-NPQR-STUV.")
_NO_BALLOT = _l("No ballot with this tracker code is in this assembly's ledger. Please check "
                "the code.")
_BAD_FROM = _l("\u201cfrom\u201d must be the size of an earlier checkpoint of this ledger.")


def _refused(exc: LookupRefused) -> ApiError:
    if exc.code is LookupRefusal.NO_CHECKPOINT:
        return ApiError(404, "no_checkpoint", str(_NO_CHECKPOINT))
    if exc.code is LookupRefusal.NO_SUCH_BALLOT:
        return ApiError(404, "no_such_ballot", str(_NO_BALLOT))
    return ApiError(400, "malformed", str(_BAD_FROM), field="from")


@bp.get("/assemblies")
@public
def assemblies():
    return jsonify({"assemblies": [
        {"id": a.id, "title": a.title, "status": a.status, "opens_at": iso(a.opens_at),
         "closes_at": iso(a.closes_at), "ballot_secrecy": secret_assemblies.ballot_secrecy(a)}
        for a in owner_assemblies.visible_list(db())]})


@bp.get("/assemblies/<int:assembly_id>")
@public
def assembly(assembly_id: int):
    a = visible_assembly(assembly_id)
    return jsonify(assembly_json(a, now_ms=timestamps.now_ms()))


def _since() -> int | None:
    """``?from=N``: the size of the checkpoint a consistency proof starts from (anything
    but digits is 0, which the service refuses as no earlier checkpoint's size)."""
    raw = request.args.get("from")
    if raw is None:
        return None
    return whole_number_or_none(raw) or 0


def _checkpoint_json(cp: Checkpoint) -> dict:
    return {"origin": cp.origin, "log_key": cp.log_key, "size": cp.size,
            "root": cp.root.hex(), "note": cp.note, "signed_at": iso(cp.signed_at),
            "witnesses": list(cp.witnesses)}


def _consistency_json(c: Consistency | None) -> dict | None:
    if c is None:
        return None
    return {"from": c.old, "to": c.new, "proof": [p.hex() for p in c.proof]}


@bp.get("/assemblies/<int:assembly_id>/checkpoint")
@public
def checkpoint(assembly_id: int):
    try:
        cp = receipts.checkpoint(db(), assembly_id)
        body = _checkpoint_json(cp)
        body["consistency"] = _consistency_json(
            receipts.consistency(db(), assembly_id, _since(), cp.size))
    except NotFound as exc:
        raise not_found(exc) from None
    except LookupRefused as exc:
        raise _refused(exc) from None
    return jsonify(body)


def normalise_tracker(text: str) -> str | None:
    """``abcd efgh-…`` → ``ABCD-EFGH-…``; None if it cannot be a tracker code."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    if len(cleaned) != 20 or not TRACKER.match(cleaned):
        return None
    return "-".join(cleaned[i:i + 4] for i in range(0, 20, 4))


def _viewer() -> int | None:
    """The signed-in owner's account id (None for anyone else)."""
    if current_user.is_authenticated and current_user.role == "owner":
        return int(current_user.account_id)
    return None


def receipt_lookup(assembly_id: int, tracker_text: str, *, as_viewer: bool = True) -> dict:
    """The lookup answer (also used by the receipt page and the auditor's lookup, which
    passes ``as_viewer=False``: the public answer whoever asks): raises
    :class:`~web.api.protocol.ApiError` (404 when there is nothing to find)."""
    tracker = normalise_tracker(tracker_text)
    if tracker is None:
        raise ApiError(400, "bad_tracker", str(_BAD_TRACKER))
    try:
        found = receipts.lookup(db(), assembly_id, tracker, since=_since(),
                                viewer=_viewer() if as_viewer else None,
                                hasher=instance.hasher(), cipher=instance.pii())
    except NotFound as exc:
        raise not_found(exc) from None
    except LookupRefused as exc:
        raise _refused(exc) from None
    answer = {
        "tracker": found.tracker,
        "index": found.index,
        "kind": found.kind,
        "entry_hash": found.entry_hash.hex(),
        "time": iso_ms(found.time_ms),
        "checkpoint": _checkpoint_json(found.checkpoint),
        "inclusion": [p.hex() for p in found.inclusion],
        "consistency": _consistency_json(found.consistency),
        "mine": found.own is not None,
    }
    if found.own is not None:
        own = found.own
        answer.update({
            "entry": own.entry.decode("utf-8"), "head": own.head, "seq": own.seq,
            "choices": own.choices, "voided": own.voided, "counts_for": own.counts_for,
            "replaced": own.replaced})
    return answer


@bp.get("/assemblies/<int:assembly_id>/receipts/<tracker>")
@public
def receipt(assembly_id: int, tracker: str):
    return jsonify(receipt_lookup(assembly_id, tracker))
