"""What every API module shares: JSON errors, request-body parsing, the signed-in account.

Every error the API returns has one shape, ``{"error": code, "message": text}``
(plus a few documented extra fields, e.g. ``retry_at``), where ``code`` is a
stable machine code and ``message`` plain words in the page's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, overload

from flask import abort, jsonify, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ledger.timestamps import ms_to_datetime
from ownervote.services import owner_assemblies, verification
from ownervote.services.errors import NotFound
from web.database import db

#: How long after the SMS code a phone may enrol its device key.
FRESH_VERIFICATION = dt.timedelta(minutes=30)


class ApiError(Exception):
    """A refusal answered as ``{"error": code, "message": message, **extra}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self):
        return jsonify({"error": self.code, "message": self.message, **self.extra}), self.status


def malformed(message: str) -> ApiError:
    return ApiError(400, "malformed", message)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says so."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise malformed(_("The request body must be a JSON object."))
    return body


@overload
def text_field(body: dict[str, Any], name: str, *, required: Literal[True] = True,
               max_len: int = 200) -> str: ...


@overload
def text_field(body: dict[str, Any], name: str, *, required: bool,
               max_len: int = 200) -> str | None: ...


def text_field(body: dict[str, Any], name: str, *, required: bool = True,
               max_len: int = 200) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, "malformed", _("The field \u201c%(name)s\u201d is missing.",
                                               name=name), field=name)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ApiError(400, "malformed",
                       _("The field \u201c%(name)s\u201d must be text of at most %(n)s characters.",
                         name=name, n=max_len), field=name)
    return value


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ApiError(400, "malformed", _("The field \u201c%(name)s\u201d must be a positive "
                                           "whole number.", name=name), field=name)
    return value


_NOT_FOUND = {
    "assembly": (404, "not_found", _l("There is no such assembly.")),
    "log": (404, "no_log", _l("This assembly has no ledger yet.")),
    "account": (401, "unauthorized", _l("Please sign in first.")),
}


def not_found(exc: NotFound) -> ApiError:
    """The answer to a service's ``NotFound`` (404; a vanished account: 401)."""
    status, code, message = _NOT_FOUND.get(exc.what, _NOT_FOUND["assembly"])
    return ApiError(status, code, str(message))


def visible_assembly(assembly_id: int):
    """The assembly if owners may see it (published), else 404."""
    try:
        return owner_assemblies.visible(db(), assembly_id)
    except NotFound as exc:
        raise not_found(exc) from None


def current_account():
    """The verified person's account (the views are already ``@roles_required("owner")``)."""
    account = verification.active_account(db(), current_user.account_id)
    if account is None:
        abort(401, _("Please sign in first."))
    return account


def client_id() -> str:
    return request.remote_addr or "unknown"


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def iso_ms(ms: int | None) -> str | None:
    return None if ms is None else iso(ms_to_datetime(ms))


# -- which accounts this browser session verified, and when ----------------------------------

_ACCOUNTS = "ov_accounts"
_FRESH = "ov_fresh"


def remember_verified(account_id: int, previous: dict[str, Any], *, fresh: bool = True) -> None:
    """After sign-in (which clears the session): keep the earlier verified accounts of this
    browser session, so a person acting for several owners can switch; with ``fresh``,
    note that ``account_id`` just confirmed an SMS code."""
    accounts = [a for a in previous.get(_ACCOUNTS, []) if isinstance(a, int) and a != account_id]
    session[_ACCOUNTS] = [*accounts, account_id][-5:]
    kept = {str(a) for a in session[_ACCOUNTS]}
    times = {k: v for k, v in previous.get(_FRESH, {}).items() if k in kept}
    if fresh:
        times[str(account_id)] = dt.datetime.now(dt.UTC).timestamp()
    session[_FRESH] = times


def session_snapshot() -> dict[str, Any]:
    return {_ACCOUNTS: list(session.get(_ACCOUNTS, [])), _FRESH: dict(session.get(_FRESH, {}))}


def verified_accounts() -> list[int]:
    return [a for a in session.get(_ACCOUNTS, []) if isinstance(a, int)]


def freshly_verified(account_id: int) -> bool:
    """Did this browser session confirm an SMS code for ``account_id`` in the last 30 minutes?"""
    at = session.get(_FRESH, {}).get(str(account_id))
    if not isinstance(at, int | float):
        return False
    age = dt.datetime.now(dt.UTC).timestamp() - at
    return 0 <= age <= FRESH_VERIFICATION.total_seconds()
