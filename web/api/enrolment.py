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
"""

from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from identity.errors import DeviceKeyError, SmsError
from identity.store.devices import active_key, enrol, public_key
from identity.store.models import Owner
from identity.store.smsoutbox import make_gateway
from ledger import canonical
from ledger.ballots import key_id, verify_p256_message
from ledger.errors import EncodingError, EntryError, LedgerError, SignatureError
from ledger.store import logstore
from ledger.store.enrolment import enroll_key, revoke_key
from ledger.store.models import LedgerKey, LogHead
from voting.store.models import Assembly
from web import services
from web.access import roles_required
from web.api import bp
from web.api.common import (
    ApiError,
    current_account,
    freshly_verified,
    json_body,
    log_head,
    text_field,
    visible_assembly,
)
from web.api.heads import heads_for, voter_reference
from web.database import db

#: What the device key signs to ask for a ballot key: this prefix, then canonical JSON of
#: ``{"device": device key id, "head": head id, "origin": log origin, "spki": b64url}``.
BALLOT_KEY_REQUEST = b"ownervote/ballot-key-request/v1\n"

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


def begin_writing() -> None:
    """Start a writer transaction (the request already read: end that transaction first)."""
    db().commit()
    logstore.begin_write(db())


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


def open_logs() -> list[LogHead]:
    return list(db().scalars(
        select(LogHead).join(Assembly, Assembly.id == LogHead.assembly_id)
        .where(Assembly.status.in_(("noticed", "open")), LogHead.closed.is_(False))))


def revoke_owner_ballot_keys(owner: Owner, reason: str) -> list[str]:
    """Revoke the owner's ballot keys in every open log (the phone was replaced)."""
    revoked = []
    for head in open_logs():
        voter = voter_reference(services.hasher(), head.origin, owner.id_hash)
        keys = db().scalars(select(LedgerKey.key_id).where(
            LedgerKey.assembly_id == head.assembly_id, LedgerKey.voter == voter,
            LedgerKey.kind == "voter", LedgerKey.revoked_index.is_(None))).all()
        for kid in keys:
            revoke_key(db(), head.assembly_id, services.log_signer(), kid, reason)
            revoked.append(kid)
    return revoked


@bp.post("/devices")
@roles_required("owner")
def devices():
    body = json_body()
    spki = _spki(body)
    account = current_account()
    if not freshly_verified(account.id):
        raise ApiError(403, "verification_required", str(_FRESH))
    begin_writing()
    account = current_account()
    try:
        gateway = make_gateway(services.settings(), db())
        enrolment = enrol(db(), account, spki, cipher=services.pii(), gateway=gateway)
        revoked = []
        if enrolment.revoked:
            revoked = revoke_owner_ballot_keys(db().get(Owner, account.owner_id), "replaced")
    except DeviceKeyError:
        db().rollback()
        raise ApiError(422, "bad_key", str(_BAD_KEY)) from None
    except SmsError:
        db().rollback()
        raise ApiError(503, "sms_unavailable", str(_SMS_DOWN)) from None
    db().commit()
    return jsonify({"device_key": enrolment.key.id, "replaced": len(enrolment.revoked),
                    "ballot_keys_revoked": len(revoked)}), 201


def ballot_key_request(device_key_id: str, head_id: str, origin: str, spki_b64: str) -> bytes:
    """The exact bytes a device key signs to ask for a ballot key (see the module doc)."""
    return BALLOT_KEY_REQUEST + canonical.encode(
        {"device": device_key_id, "head": head_id, "origin": origin, "spki": spki_b64})


@bp.post("/assemblies/<int:assembly_id>/ballot-keys")
@roles_required("owner")
def ballot_keys(assembly_id: int):
    body = json_body()
    a = visible_assembly(assembly_id)
    head_id = text_field(body, "head", max_len=64)
    spki = _spki(body)
    sig = _signature(body)
    account = current_account()
    head = log_head(a)
    device = active_key(db(), account.id)
    if device is None:
        raise ApiError(409, "no_device_key", str(_NO_DEVICE))
    try:
        verify_p256_message(public_key(device),
                            ballot_key_request(device.id, head_id, head.origin,
                                               canonical.b64url(spki)), sig)
    except (SignatureError, DeviceKeyError):
        raise ApiError(403, "bad_device_signature", str(_BAD_DEVICE_SIG)) from None
    if not any(h.head_id == head_id and h.head.may_vote for h in heads_for(a, account)):
        raise ApiError(403, "not_your_head", str(_NOT_YOURS))
    owner = db().get(Owner, account.owner_id)
    voter = voter_reference(services.hasher(), head.origin, owner.id_hash)
    begin_writing()
    try:
        log = logstore.lock_head(db(), a.id)
        if log.closed:
            raise ApiError(422, "closed", str(_CLOSED))
        for old in db().scalars(select(LedgerKey.key_id).where(
                LedgerKey.assembly_id == a.id, LedgerKey.head_id == head_id,
                LedgerKey.voter == voter, LedgerKey.kind == "voter",
                LedgerKey.revoked_index.is_(None))).all():
            revoke_key(db(), a.id, services.log_signer(), old, "replaced")
        out = enroll_key(db(), a.id, services.log_signer(), head_id, spki, voter=voter)
    except ApiError:
        db().rollback()
        raise
    except EntryError:  # e.g. this key was enrolled before: the phone must make a new one
        db().rollback()
        raise ApiError(409, "bad_key", str(_BAD_KEY)) from None
    except LedgerError:
        db().rollback()
        raise ApiError(422, "bad_key", str(_BAD_KEY)) from None
    db().commit()
    return jsonify({"key": key_id(spki), "head": head_id, "index": out.index}), 201
