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
#
# Each account is remembered with the session generation it was verified in
# (``OwnerAccount.session_generation``, raised by every verification of the account): once
# someone verifies as that person again, this browser may no longer switch to the account
# or add a phone for it — it has to verify again itself.

_ACCOUNTS = "ov_accounts"  # [[account id, generation], ...], oldest first
_FRESH = "ov_fresh"  # {"<account id>": when this browser session confirmed its SMS code}


def _remembered() -> dict[int, int]:
    """account id -> the generation this browser session verified it in."""
    out = {}
    for pair in session.get(_ACCOUNTS, []):
        if isinstance(pair, list | tuple) and len(pair) == 2 \
                and all(isinstance(x, int) and not isinstance(x, bool) for x in pair):
            out[pair[0]] = pair[1]
    return out


def remember_verified(account: Any, previous: dict[str, Any], *, fresh: bool = True) -> None:
    """After sign-in (which clears the session): keep the earlier verified accounts of this
    browser session, so a person acting for several owners can switch; with ``fresh``,
    note that ``account`` (an owner account) just confirmed an SMS code."""
    kept = [p for p in previous.get(_ACCOUNTS, []) if isinstance(p, list | tuple)
            and len(p) == 2 and isinstance(p[0], int) and p[0] != account.id]
    session[_ACCOUNTS] = [*kept, [account.id, account.session_generation]][-5:]
    ids = {str(p[0]) for p in session[_ACCOUNTS]}
    times = {k: v for k, v in previous.get(_FRESH, {}).items() if k in ids}
    if fresh:
        times[str(account.id)] = dt.datetime.now(dt.UTC).timestamp()
    session[_FRESH] = times


def session_snapshot() -> dict[str, Any]:
    return {_ACCOUNTS: list(session.get(_ACCOUNTS, [])), _FRESH: dict(session.get(_FRESH, {}))}


def _current(account: Any, remembered: dict[int, int]) -> bool:
    return account is not None and remembered.get(account.id) == account.session_generation


def verified_accounts() -> list[int]:
    """The accounts this browser session verified that nobody has verified again since."""
    remembered = _remembered()
    return [a for a in remembered
            if _current(verification.active_account(db(), a), remembered)]


def freshly_verified(account: Any) -> bool:
    """Did this browser session confirm an SMS code for ``account`` (an owner account) in the
    last 30 minutes, with nobody verifying as that person since?"""
    if not _current(account, _remembered()):
        return False
    at = session.get(_FRESH, {}).get(str(account.id))
    if not isinstance(at, int | float):
        return False
    age = dt.datetime.now(dt.UTC).timestamp() - at
    return 0 <= age <= FRESH_VERIFICATION.total_seconds()
