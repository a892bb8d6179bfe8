"""Step 1: identity verification, and switching between the people verified on this phone."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ownervote.services import verification
from web.access import public, roles_required
from web.api.owner_session import (
    remember_verified,
    session_snapshot,
    verified_accounts,
    visible_assembly,
)
from web.api.verification import account_json, outbox_in_use
from web.auth import sign_in_account
from web.database import db
from web.numbers import whole_number_or_none
from web.owner import bp


@bp.get("/a/<int:assembly_id>/verify")
@public
def verify(assembly_id: int):
    a = visible_assembly(assembly_id)
    signed_in = None
    if current_user.is_authenticated and current_user.role == "owner":
        account = verification.active_account(db(), current_user.account_id)
        if account is not None:
            signed_in = account_json(account)
    return render_template("owner/verify.html", assembly=a, step=1, signed_in=signed_in,
                           again=request.args.get("again") == "1", demo=outbox_in_use())


@bp.post("/a/<int:assembly_id>/acting-for")
@roles_required("owner")
def acting_for(assembly_id: int):
    """Vote as another person verified in this browser session (e.g. as a guardian)."""
    a = visible_assembly(assembly_id)
    wanted = whole_number_or_none(request.form.get("account"))
    if wanted is None or wanted not in verified_accounts():
        abort(403)
    account = verification.active_account(db(), wanted)
    if account is None:
        abort(403)
    if account.id != current_user.account_id:
        previous = session_snapshot()
        sign_in_account(account)
        # switching is not a fresh verification: keep each account's own time
        remember_verified(account, previous, fresh=False)
    return redirect(url_for("owner.vote", assembly_id=a.id))
