"""Ballots: what to sign (the template) and casting a signed ballot.

``POST /assemblies/<id>/ballots`` is authenticated by the ballot's own
signature, made on the phone by a key the log enrolled for that head; the
ledger checks key, head, ballot number (``seq``), origin, voting window and
the casting rules before appending, so it needs no cookie session (and no
CSRF token: a forged cross-site request cannot carry a valid signature).
The ballot, a checkpoint covering it and the receipt are one transaction;
the receipt is answered only after the commit
(:func:`ownervote.services.casting.cast`).

A refusal is answered from what the domain raised, never by reading again:
the ledger's :class:`~ledger.errors.Refusal` code and figures
(:data:`LEDGER_ANSWERS`) or the rules engine's
:class:`~voting.errors.CastRefused` reason.
"""

from __future__ import annotations

import typing
from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ledger import canonical, timestamps
from ledger.ballots import PREFIXES, check_ballot_payload
from ledger.errors import EncodingError, EntryError, LedgerError, Refusal, SignatureError
from ownervote.services import casting
from ownervote.services.casting import HeadNotChosen, HeadRefusal
from ownervote.services.errors import NotFound
from voting.errors import CastRefused
from web import instance
from web.access import public, roles_required
from web.api import bp
from web.api.data import item_json, revote_json
from web.api.heads import head_json, lock_messages
from web.api.messages import LEDGER, refusal_message, too_many_ballots_message
from web.api.owner_session import current_account, visible_assembly
from web.api.protocol import ApiError, iso_ms, json_body, malformed, not_found
from web.database import db
from web.extensions import csrf
from web.throttle import cast_throttle

_NO_HEAD = _l("You have no home that votes in this assembly.")
_CHOOSE_HEAD = _l("Please choose which home you are voting for.")


def _ballot_json(b: dict) -> dict:
    return {k: v for k, v in b.items() if k != "cast_at"} | {
        "cast_at": b["cast_at"].isoformat().replace("+00:00", "Z")}


def build_template(assembly_id: int, account_id: int, wanted: str | None) -> dict:
    """Everything the phone needs to build and sign a ballot for one of the account's heads.

    ``wanted`` picks the head; without it, the only head the account may vote
    for (an account with several must choose: ``choose_head``).
    """
    try:
        t = casting.ballot_template(db(), assembly_id, account_id=account_id, head_id=wanted,
                                    hasher=instance.hasher(), cipher=instance.pii())
    except NotFound as exc:
        raise not_found(exc) from None
    except HeadNotChosen as exc:
        if exc.code is HeadRefusal.NO_HEAD:
            raise ApiError(404, "no_head", str(_NO_HEAD)) from None
        raise ApiError(400, "choose_head", str(_CHOOSE_HEAD),
                       heads=[head_json(v) for v in exc.heads]) from None
    titles = {str(it.position): it.title for it in t.assembly.items}
    locks = lock_messages(t.locks, titles)
    items = []
    for it in t.assembly.items:
        data = item_json(it)
        data["current"] = t.current.get(data["id"])
        data["locked"] = locks.get(data["id"])
        items.append(data)
    return {
        "assembly_id": t.assembly.id,
        "origin": t.log.origin,
        "log_key": t.log.log_vkey,
        "prefix": PREFIXES["ballot"].decode(),
        "accepting_ballots": t.accepting_ballots,
        "opens_at": iso_ms(t.log.opens_at_ms),
        "closes_at": iso_ms(t.log.closes_at_ms),
        "head": head_json(t.head),
        "heads": [head_json(v) for v in t.heads],
        "next_seq": t.next_seq,
        "ballot_key": t.ballot_key,
        "items": items,
        "ballots": [_ballot_json(b) for b in t.head.ballots],
        "revote": revote_json(t.settings),
        # a secret assembly: the phone encrypts to the election key (docs/secret-ballots.md)
        "ballot_secrecy": t.settings.ballot_secrecy.value,
        "election_key": casting.election_key_hex(db(), t.assembly.id),
    }


@bp.get("/assemblies/<int:assembly_id>/ballot-template")
@roles_required("owner")
def ballot_template(assembly_id: int):
    a = visible_assembly(assembly_id)
    return jsonify(build_template(a.id, current_account().id, request.args.get("head")))


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
    # typing.cast (the view below is named cast): check_ballot_payload refused all but objects
    return typing.cast(dict[str, Any], payload), sig


#: The ledger's refusals of a ballot -> the API's status and code (its message: LEDGER).
LEDGER_ANSWERS: dict[Refusal, tuple[int, str]] = {
    Refusal.WRONG_LOG: (422, "wrong_assembly"),  # the origin is inside the signature
    Refusal.NO_LOG: (404, "no_log"),
    Refusal.NOT_OPEN: (422, "not_open"),  # + opens_at
    Refusal.CLOSED: (422, "closed"),
    Refusal.KEY_NOT_ENROLLED: (422, "key_not_enrolled"),
    Refusal.KEY_REVOKED: (422, "key_revoked"),
    Refusal.WRONG_HEAD: (422, "wrong_head"),
    Refusal.SEQ_CONFLICT: (409, "seq_conflict"),  # + next_seq
    Refusal.BAD_SIGNATURE: (422, "bad_signature"),
    Refusal.TOO_MANY_BALLOTS: (429, "too_many_requests"),  # + retry_at: the head's allowance
    Refusal.WRONG_BALLOT_MODE: (422, "wrong_ballot_mode"),  # + secrecy
    Refusal.BAD_BALLOT_PROOF: (422, "bad_ballot_proof"),  # + reason, where, item, option, proof
    Refusal.CEREMONY_NOT_FINAL: (409, "ceremony_not_final"),  # (a log noticed without one)
}


def ledger_refused(exc: LedgerError) -> ApiError | None:
    """The API's answer to the ledger's refusal of a ballot, from its code and figures
    (None: not a refusal of this ballot but a fault of the server, e.g. of its log key)."""
    answer = LEDGER_ANSWERS.get(exc.code) if exc.code is not None else None
    if answer is None:
        if isinstance(exc, EncodingError | EntryError):  # the shape, checked again
            return malformed(_("The ballot is not in the expected form."))
        if not isinstance(exc, SignatureError):
            return None
        answer = LEDGER_ANSWERS[Refusal.BAD_SIGNATURE]
    status, code = answer
    if code == "too_many_requests":
        at = timestamps.ms_to_datetime(exc.params["retry_at_ms"])
        return ApiError(status, code, too_many_ballots_message(at), retry_at=iso_ms(
            exc.params["retry_at_ms"]))
    extra: dict = {}
    if code == "not_open":
        extra["opens_at"] = iso_ms(exc.params.get("opens_at_ms"))
    elif code == "seq_conflict":
        extra["next_seq"] = exc.params.get("next_seq")
    elif code == "wrong_ballot_mode":
        extra["secrecy"] = exc.params.get("secrecy")
    elif code == "bad_ballot_proof":
        extra = {k: exc.params.get(k) for k in ("reason", "where", "item", "option", "proof")}
        return ApiError(status, code, str(LEDGER[code]) % {
            "item": exc.params.get("item") or "-", "where": exc.params.get("where")}, **extra)
    message = LEDGER.get(code)
    return ApiError(status, code, str(message) if message is not None else str(exc), **extra)


def _rule_refused(assembly_id: int, payload: dict, exc: CastRefused) -> ApiError:
    details = casting.refusal_details(db(), assembly_id, payload["head"], exc,
                                      hasher=instance.hasher(), cipher=instance.pii())
    return ApiError(422, exc.reason.value,
                    refusal_message(exc, details.titles, details.co_owner), item=exc.item_id)


@bp.post("/assemblies/<int:assembly_id>/ballots")
@public  # authenticated by the ballot's signature (see the module docstring)
@cast_throttle  # per client address, if set; per device key: in its batch (web.throttle)
@csrf.exempt  # signature-authenticated: a cross-site form cannot produce a valid signature
def cast(assembly_id: int):
    try:
        # one indexed read (none once seen), then the read ends: a request waiting for its
        # batch must not hold a pooled connection
        casting.ready_to_cast(db(), assembly_id)
    except NotFound as exc:
        raise not_found(exc) from None
    payload, sig = _parse_ballot()
    try:
        # group commit (ledger.store.sequencer): checks, append, checkpoint and receipt in
        # one transaction of the ballot's batch, committed before it returns
        receipt = casting.cast(db(), assembly_id, payload, sig, signer=instance.log_signer())
    except CastRefused as exc:
        raise _rule_refused(assembly_id, payload, exc) from None
    except LedgerError as exc:
        answer = ledger_refused(exc)
        if answer is None:
            raise  # a fault of the server: its batch was rolled back (a 500, logged)
        raise answer from None
    tracker = receipt.tracker
    return jsonify({
        "receipt": receipt.to_json(),
        "tracker": tracker,
        "index": receipt.index,
        "seq": payload["seq"],
        "links": {
            "receipt_page": url_for("owner.receipt", assembly_id=assembly_id, tracker=tracker),
            "check_page": url_for("owner.check", assembly_id=assembly_id, tracker=tracker),
            "lookup": url_for("api.receipt", assembly_id=assembly_id, tracker=tracker),
        },
    }), 201
