"""Who is asking: the signed-in owner's account, what they may see, what this browser
session verified and when (a phone enrols its key only shortly after an SMS code)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, request, session
from flask_babel import gettext as _
from flask_login import current_user

from ownervote.services import owner_assemblies, verification
from ownervote.services.errors import NotFound
from web.api.protocol import not_found
from web.database import db

#: How long after the SMS code a phone may enrol its device key.
FRESH_VERIFICATION = dt.timedelta(minutes=30)


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
