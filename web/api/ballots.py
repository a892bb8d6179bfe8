"""Ballots: what to sign (the template) and casting a signed ballot.

``POST /assemblies/<id>/ballots`` is authenticated by the ballot's own
signature, made on the phone by a key the log enrolled for that head; the
ledger checks key, head, ballot number (``seq``), origin, voting window and
the casting rules before appending, so it needs no cookie session (and no
CSRF token: a forged cross-site request cannot carry a valid signature).
The ballot, a checkpoint covering it and the receipt are one transaction;
the receipt is answered only after the commit.
"""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from identity.store.models import Owner
from ledger import canonical, timestamps
from ledger.ballots import PREFIXES, check_ballot_payload
from ledger.errors import EncodingError, LedgerError, LogStateError, SignatureError
from ledger.store import logstore, sequencer
from ledger.store.models import LedgerKey
from ledger.store.publish import assembly_settings
from ledger.store.writer import next_seq
from voting.errors import CastRefused, RefusalReason
from web import services
from web.access import public, roles_required
from web.api import bp
from web.api.common import (
    VISIBLE,
    ApiError,
    current_account,
    iso_ms,
    json_body,
    log_head,
    malformed,
    visible_assembly,
)
from web.api.data import accepting_ballots, item_json
from web.api.enrolment import begin_writing
from web.api.heads import (
    ballot_key,
    co_owner_voting,
    current_choices,
    heads_for,
    item_locks,
    voter_reference,
)
from web.api.messages import LEDGER, REVOTE, refusal_message
from web.database import db
from web.extensions import csrf
from web.throttle import cast_throttle

_NO_HEAD = _l("You have no home that votes in this assembly.")
_CHOOSE_HEAD = _l("Please choose which home you are voting for.")


def _ballot_json(b: dict) -> dict:
    return {k: v for k, v in b.items() if k != "cast_at"} | {
        "cast_at": b["cast_at"].isoformat().replace("+00:00", "Z")}


def build_template(a, account, wanted: str | None) -> dict:
    """Everything the phone needs to build and sign a ballot for one of the account's heads.

    ``wanted`` picks the head; without it, the only head the account may vote
    for (an account with several must choose: ``choose_head``).
    """
    head = log_head(a)
    views = heads_for(a, account)
    if not views:
        raise ApiError(404, "no_head", str(_NO_HEAD))
    view = next((v for v in views if v.head_id == wanted), None)
    if view is None:
        votable = [v for v in views if v.head.may_vote]
        if wanted or len(votable) > 1:
            raise ApiError(400, "choose_head", str(_CHOOSE_HEAD),
                           heads=[v.to_json() for v in views])
        view = (votable or views)[0]
    owner = db().get(Owner, account.owner_id)
    voter = voter_reference(services.hasher(), head.origin, owner.id_hash)
    key = ballot_key(a.id, view.head_id, voter)
    locks = item_locks(a, head, view.head_id, voter) if view.head.may_vote else {}
    current = current_choices(view.ballots)
    settings = assembly_settings(a)
    items = []
    for it in a.items:
        data = item_json(it)
        data["current"] = current.get(data["id"])
        data["locked"] = locks.get(data["id"])
        items.append(data)
    return {
        "assembly_id": a.id,
        "origin": head.origin,
        "log_key": head.log_vkey,
        "prefix": PREFIXES["ballot"].decode(),
        "accepting_ballots": accepting_ballots(a, head, timestamps.now_ms()),
        "opens_at": iso_ms(head.opens_at_ms),
        "closes_at": iso_ms(head.closes_at_ms),
        "head": view.to_json(),
        "heads": [v.to_json() for v in views],
        "next_seq": next_seq(db(), a.id, view.head_id),
        "ballot_key": key.key_id if key is not None else None,
        "items": items,
        "ballots": [_ballot_json(b) for b in view.ballots],
        "revote": {"policy": settings.revote.value,
                   "explanation": str(REVOTE[settings.revote.value])},
    }


@bp.get("/assemblies/<int:assembly_id>/ballot-template")
@roles_required("owner")
def ballot_template(assembly_id: int):
    a = visible_assembly(assembly_id)
    return jsonify(build_template(a, current_account(), request.args.get("head")))


# -- casting ------------------------------------------------------------------------------------

def _parse_ballot() -> tuple[dict, bytes]:
    body = json_body()
    payload, sig_text = body.get("payload"), body.get("signature")
    if set(body) - {"payload", "signature"}:
        raise malformed(_("A ballot has exactly two fields: payload and signature."))
    try:
        check_ballot_payload(payload)
        canonical.encode(payload)
        sig = canonical.unb64url(sig_text, "signature")
    except EncodingError as exc:
        raise ApiError(400, "malformed", _("The ballot is not in the expected form."),
                       detail=str(exc)[:200]) from None
    if len(sig) != 64:
        raise malformed(_("The signature must be 64 bytes (r || s), base64url."))
    return payload, sig


def _diagnose(assembly_id: int, payload: dict) -> ApiError:
    """Why the ledger refused a well-formed ballot (read under the same writer lock)."""
    head = logstore.lock_head(db(), assembly_id)
    if payload["origin"] != head.origin:
        return ApiError(422, "wrong_assembly", str(LEDGER["wrong_assembly"]))
    now = max(timestamps.now_ms(), head.last_time_ms)
    if head.closed or now >= head.closes_at_ms:
        return ApiError(422, "closed", str(LEDGER["closed"]))
    if now < head.opens_at_ms:
        return ApiError(422, "not_open", str(LEDGER["not_open"]), opens_at=iso_ms(head.opens_at_ms))
    k = db().get(LedgerKey, (assembly_id, payload["key"]))
    if k is None or k.kind != "voter":
        return ApiError(422, "key_not_enrolled", str(LEDGER["key_not_enrolled"]))
    if k.revoked_index is not None:
        return ApiError(422, "key_revoked", str(LEDGER["key_revoked"]))
    if k.head_id != payload["head"]:
        return ApiError(422, "wrong_head", str(LEDGER["wrong_head"]))
    expected = next_seq(db(), assembly_id, payload["head"])
    if payload["seq"] != expected:
        return ApiError(409, "seq_conflict", str(LEDGER["seq_conflict"]), next_seq=expected)
    return ApiError(422, "bad_signature", str(LEDGER["bad_signature"]))


def _refused(a, payload: dict, exc: CastRefused) -> ApiError:
    titles = {str(it.position): it.title for it in a.items}
    who = ""
    if exc.reason is RefusalReason.CO_OWNER_ALREADY_VOTED:
        who = co_owner_voting(a, logstore.get_head(db(), a.id).origin, payload["head"])
    return ApiError(422, exc.reason.value, refusal_message(exc, titles, who), item=exc.item_id)


@bp.post("/assemblies/<int:assembly_id>/ballots")
@public  # authenticated by the ballot's signature (see the module docstring)
@cast_throttle  # per client address, if set; per device key: in its batch (web.throttle)
@csrf.exempt  # signature-authenticated: a cross-site form cannot produce a valid signature
def cast(assembly_id: int):
    if not sequencer.visible_log(db(), assembly_id, VISIBLE):  # fast path: no ORM load
        log_head(visible_assembly(assembly_id))  # raises the precise 404
    # End that read: a request waiting for its batch must not hold a pooled connection,
    # or the batch's leader could wait for one behind the requests that wait for it.
    db().rollback()
    payload, sig = _parse_ballot()
    try:
        # group commit (ledger.store.sequencer): checks, append, checkpoint and receipt as
        # cast_ballot + issue_checkpoint + make_receipt, committed before it returns
        _appended, receipt = sequencer.for_engine(db().get_bind()).cast(
            assembly_id, payload, sig, services.log_signer())
    except CastRefused as exc:
        error = _refused(visible_assembly(assembly_id), payload, exc)
        db().rollback()
        raise error from None
    except SignatureError:
        db().rollback()
        raise ApiError(422, "bad_signature", str(LEDGER["bad_signature"])) from None
    except LogStateError:
        db().rollback()
        raise ApiError(404, "no_log", str(LEDGER["no_log"])) from None
    except LedgerError:
        begin_writing()  # _diagnose reads under the log's writer lock
        error = _diagnose(assembly_id, payload)
        db().rollback()
        raise error from None
    db().commit()
    body, tracker = receipt.to_json(), receipt.tracker
    return jsonify({
        "receipt": body,
        "tracker": receipt.tracker,
        "index": receipt.index,
        "seq": payload["seq"],
        "links": {
            "receipt_page": url_for("owner.receipt", assembly_id=assembly_id, tracker=tracker),
            "check_page": url_for("owner.check", assembly_id=assembly_id, tracker=tracker),
            "lookup": url_for("api.receipt", assembly_id=assembly_id, tracker=tracker),
        },
    }), 201
