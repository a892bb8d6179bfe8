"""Keys: the phone's device key (identity) and its ballot keys (one per assembly and head).

* ``POST /devices`` — right after the SMS code is confirmed (within 30 minutes
  of it, in this browser session), the phone sends the public half of its new
  non-extractable P-256 *device key*.  identity enrols it for the account and
  revokes the account's older device keys (SMS warning to the owner); the
  ballot keys the owner had in open ledgers are revoked in those ledgers too,
  so a lost phone can no longer vote.
* ``POST /assemblies/<id>/ballot-keys`` — before its first ballot in an
  assembly (or after a revocation), the phone makes a *ballot key* for one
  head and asks for it to be enrolled in that assembly's log.  The request is
  signed by the device key, so a stolen session cookie alone cannot enrol a
  key; the log key attests the enrolment (``key.enrolled``) for the head.
  A log binds a key to one head, hence one ballot key per (assembly, head).

The work is :mod:`ownervote.services.enrolment`'s; this module reads the request,
checks the SMS code was fresh (a browser-session matter) and words the refusals.
"""

from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l

from identity.errors import DeviceKeyError, SmsError
from ledger import canonical
from ledger.errors import EncodingError, EntryError, LedgerError, Refusal
from ownervote.services import enrolment
from ownervote.services.enrolment import (
    BALLOT_KEY_REQUEST,
    EnrolmentRefusal,
    EnrolmentRefused,
    ballot_key_request,
)
from ownervote.services.errors import NotFound
from web import instance
from web.access import roles_required
from web.api import bp
from web.api.messages import too_many_keys_message
from web.api.owner_session import current_account, freshly_verified, visible_assembly
from web.api.protocol import ApiError, iso, json_body, not_found, text_field
from web.database import db

__all__ = ["BALLOT_KEY_REQUEST", "ballot_key_request"]

_FRESH = _l("For your safety, a new phone can be set up only right after the SMS code. "
            "Please verify your identity again on this phone.")
_BAD_KEY = _l("This phone's key could not be used. Please reload the page and try again.")
_NO_DEVICE = _l("This phone is not set up for voting yet. Please verify your identity on it.")
_BAD_DEVICE_SIG = _l("This phone's key does not match the one registered for your account "
                     "(perhaps you verified on another phone since). Please verify your "
                     "identity again on this phone.")
_NOT_YOURS = _l("You may not vote for this home in this assembly.")
_CLOSED = _l("Voting has closed. No more ballots are accepted.")
_SMS_DOWN = _l("We could not send the text message just now. Please try again in a few "
               "minutes.")

#: The enrolment service's refusals -> status, code, message.
REFUSED = {
    EnrolmentRefusal.NO_DEVICE_KEY: (409, "no_device_key", _NO_DEVICE),
    EnrolmentRefusal.BAD_DEVICE_SIGNATURE: (403, "bad_device_signature", _BAD_DEVICE_SIG),
    EnrolmentRefusal.NOT_YOUR_HEAD: (403, "not_your_head", _NOT_YOURS),
}


def _spki(body: dict) -> bytes:
    try:
        return canonical.unb64url(text_field(body, "spki", max_len=400), "spki")
    except EncodingError:
        raise ApiError(400, "malformed", str(_BAD_KEY), field="spki") from None


def _signature(body: dict) -> bytes:
    try:
        sig = canonical.unb64url(text_field(body, "signature", max_len=200), "signature")
    except EncodingError:
        sig = b""
    if len(sig) != 64:
        raise ApiError(400, "malformed", str(_BAD_KEY), field="signature")
    return sig


@bp.post("/devices")
@roles_required("owner")
def devices():
    body = json_body()
    spki = _spki(body)
    account = current_account()
    if not freshly_verified(account):
        raise ApiError(403, "verification_required", str(_FRESH))
    try:
        out = enrolment.enrol_device(db(), account.id, spki, settings=instance.settings(),
                                     cipher=instance.pii(), hasher=instance.hasher(),
                                     signer=instance.log_signer())
    except DeviceKeyError:
        raise ApiError(422, "bad_key", str(_BAD_KEY)) from None
    except SmsError:
        raise ApiError(503, "sms_unavailable", str(_SMS_DOWN)) from None
    return jsonify({"device_key": out.device_key, "replaced": out.replaced,
                    "ballot_keys_revoked": out.ballot_keys_revoked}), 201


def _ledger_refused(exc: LedgerError) -> ApiError:
    if exc.code is Refusal.CLOSED:
        return ApiError(422, "closed", str(_CLOSED))
    if isinstance(exc, EntryError):  # e.g. this key was enrolled before: make a new one
        return ApiError(409, "bad_key", str(_BAD_KEY))
    return ApiError(422, "bad_key", str(_BAD_KEY))


@bp.post("/assemblies/<int:assembly_id>/ballot-keys")
@roles_required("owner")
def ballot_keys(assembly_id: int):
    body = json_body()
    a = visible_assembly(assembly_id)
    head_id = text_field(body, "head", max_len=64)
    spki = _spki(body)
    sig = _signature(body)
    account = current_account()
    try:
        out = enrolment.enrol_ballot_key(
            db(), a.id, account_id=account.id, head_id=head_id, spki=spki, signature=sig,
            signer=instance.log_signer(), hasher=instance.hasher(), cipher=instance.pii())
    except NotFound as exc:
        raise not_found(exc) from None
    except EnrolmentRefused as exc:
        if exc.code is EnrolmentRefusal.TOO_MANY_KEYS and exc.retry_at is not None:
            raise ApiError(429, "too_many_requests", too_many_keys_message(exc.retry_at),
                           retry_at=iso(exc.retry_at)) from None
        status, code, message = REFUSED[exc.code]
        raise ApiError(status, code, str(message)) from None
    except LedgerError as exc:
        raise _ledger_refused(exc) from None
    return jsonify({"key": out.key, "head": out.head, "index": out.index}), 201
