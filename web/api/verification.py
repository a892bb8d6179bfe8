"""Identity verification over JSON: registry match → phone → SMS code → signed in.

Each step calls :class:`ownervote.services.verification.VerificationService`, whose
unit of work is committed even when it refuses (throttling counters must survive).
A refusal keeps the service's stable ``code`` and gets a plain-words message;
a lock-out carries ``retry_at``.  In the demo (SMS outbox, never in
production) the code step also returns the message "sent", so the page can
show it.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from identity.errors import (
    CodeInvalid,
    ResendTooSoon,
    SmsError,
    Throttled,
    VerificationError,
)
from ownervote.services import enrolment, verification
from ownervote.services.verification import Claim, VerificationService
from voting.textlimits import LIMITS, TextField
from web import instance
from web.access import public
from web.api import bp
from web.api.heads import owner_masked_name
from web.api.messages import HOLDER, verification_message
from web.api.owner_session import (
    client_id,
    current_account,
    freshly_verified,
    remember_verified,
    session_snapshot,
    verified_accounts,
    visible_assembly,
)
from web.api.protocol import ApiError, iso, json_body, text_field
from web.auth import sign_in_account
from web.database import db
from web.extensions import limiter

ID_TYPES = ("resident_id", "passport", "hk_macao_permit", "taiwan_permit")
_LIMIT = "20 per minute; 200 per hour"
_SMS_DOWN = _l("We could not send the text message just now. Please try again in a few "
               "minutes.")
_BAD_ID_TYPE = _l("Please choose the type of identity document.")
_BAD_ASSEMBLY = _l("Please open this page from the assembly's link.")


def outbox_in_use() -> bool:
    """The demo's SMS outbox (no SMS gateway configured, not production)."""
    s = instance.settings()
    return not s.sms_url and not s.production


def _service() -> VerificationService:
    try:
        return VerificationService.from_settings(db(), instance.settings())
    except SmsError:
        raise ApiError(503, "sms_unavailable", str(_SMS_DOWN)) from None


def _refused(exc: VerificationError) -> ApiError:
    extra: dict = {}
    status = 422
    if isinstance(exc, Throttled | ResendTooSoon):
        status = 429
        extra["retry_at"] = iso(exc.retry_at)
    if isinstance(exc, CodeInvalid):
        extra["attempts_left"] = exc.attempts_left
    return ApiError(status, exc.code, verification_message(exc), **extra)


def account_json(account) -> dict:
    key = enrolment.active_device_key(db(), account.id)
    return {
        "id": account.id,
        "slot": instance.hasher().opaque("device-slot", account.key)[:24],
        "owner_name_masked": owner_masked_name(account.owner_id),
        "holder_kind": account.holder_kind,
        "holder_label": str(HOLDER.get(account.holder_kind, "")),
        "phone_masked": account.phone_masked,
        "device_key": key.id if key is not None else None,
        "may_enrol_device": freshly_verified(account),
    }


@bp.get("/session")
@public
def session_info():
    """Who is signed in, the CSRF token for POSTs, and the other accounts verified here."""
    body: dict = {"signed_in": False, "account": None, "accounts": [],
                  "csrf_token": generate_csrf(), "demo_sms": outbox_in_use()}
    if current_user.is_authenticated and current_user.role == "owner":
        account = current_account()
        body["signed_in"] = True
        body["account"] = account_json(account)
        for other in verified_accounts():
            row = verification.active_account(db(), other)
            if row is not None:
                body["accounts"].append({
                    "id": row.id, "owner_name_masked": owner_masked_name(row.owner_id),
                    "holder_label": str(HOLDER.get(row.holder_kind, ""))})
    return jsonify(body)


@bp.post("/verification/match")
@public
@limiter.limit(_LIMIT)
def verification_match():
    body = json_body()
    a = visible_assembly(_assembly_id(body))
    id_type = text_field(body, "id_type", required=False, max_len=30) or "resident_id"
    if id_type not in ID_TYPES:
        raise ApiError(400, "malformed", str(_BAD_ID_TYPE), field="id_type")
    claim = Claim(
        community_id=a.community_id,
        name=text_field(body, "name", max_len=LIMITS[TextField.PERSON_NAME]),
        id_type=id_type,
        id_number=text_field(body, "id_number", max_len=40),
        certificate_no=text_field(body, "certificate_no", required=False, max_len=100),
        building=text_field(body, "building", required=False,
                            max_len=LIMITS[TextField.UNIT_LABEL]),
        unit=text_field(body, "unit", required=False,
                        max_len=LIMITS[TextField.UNIT_LABEL]),
    )
    try:
        matched = _service().match(claim, client=client_id())
    except VerificationError as exc:
        raise _refused(exc) from None
    return jsonify({
        "token": matched.token,
        "expires_at": iso(matched.expires_at),
        "owner_name_masked": matched.owner_name_masked,
        "holder_kind": matched.holder_kind,
        "holder_label": str(HOLDER.get(matched.holder_kind, "")),
        "units": list(matched.units),
    })


def _assembly_id(body: dict) -> int:
    value = body.get("assembly_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ApiError(400, "malformed", str(_BAD_ASSEMBLY), field="assembly_id")
    return value


@bp.post("/verification/code")
@public
@limiter.limit(_LIMIT)
def verification_code():
    body = json_body()
    token = text_field(body, "token", max_len=100)
    phone = text_field(body, "phone", max_len=40)
    try:
        sent = _service().send_code(token, phone, client=client_id())
    except VerificationError as exc:
        raise _refused(exc) from None
    except SmsError:  # nothing was kept
        raise ApiError(503, "sms_unavailable", str(_SMS_DOWN)) from None
    out: dict[str, Any] = {
        "phone_masked": sent.phone_masked, "code_expires_at": iso(sent.code_expires_at),
        "resend_at": iso(sent.resend_at), "demo_sms": None}
    if outbox_in_use():
        latest = verification.demo_message(db(), phone, hasher=instance.hasher())
        if latest is not None:
            out["demo_sms"] = {"phone_masked": latest.phone_masked, "body": latest.body}
    return jsonify(out)


@bp.post("/verification/confirm")
@public
@limiter.limit(_LIMIT)
def verification_confirm():
    body = json_body()
    token = text_field(body, "token", max_len=100)
    code = text_field(body, "code", max_len=20)
    try:
        verified = _service().confirm(token, code, client=client_id())
    except VerificationError as exc:
        raise _refused(exc) from None
    except SmsError:  # the replaced phone could not be told: nothing was kept
        raise ApiError(503, "sms_unavailable", str(_SMS_DOWN)) from None
    account = verification.active_account(db(), verified.account_id)
    assert account is not None  # confirm() has just made or renewed it
    previous = session_snapshot()
    sign_in_account(account)
    remember_verified(account, previous)
    return jsonify({"account": account_json(account), "renewed": verified.renewed,
                    "csrf_token": generate_csrf()})
