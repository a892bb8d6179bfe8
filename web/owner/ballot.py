"""Steps 2 and 3: the ballot for one head, then a summary to confirm; the phone signs it.

The page is rendered from the same template the API serves
(:func:`web.api.ballots.build_template`); ``owner-ballot.js`` fetches it again
just before signing (the next ballot number may have changed), signs with the
phone's ballot key and posts the ballot to the API.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from ownervote.services import verification
from web.access import public
from web.api.ballots import build_template
from web.api.heads import owner_masked_name
from web.api.messages import CHOICES, HOLDER
from web.api.owner_session import current_account, verified_accounts, visible_assembly
from web.api.protocol import ApiError
from web.api.verification import account_json
from web.database import db
from web.owner import bp
from web.qr import qr_svg


def _others() -> list[dict]:
    """The other people verified in this browser session, to switch to."""
    out = []
    for account_id in verified_accounts():
        row = verification.active_account(db(), account_id)
        if row is not None:
            out.append({"id": row.id, "current": row.id == current_user.account_id,
                        "label": f"{owner_masked_name(row.owner_id)} "
                                 f"({HOLDER.get(row.holder_kind, '')})"})
    return out if len(out) > 1 else []


@bp.get("/a/<int:assembly_id>/vote")
@public  # owners only in effect: anyone else is sent to verify first
def vote(assembly_id: int):
    a = visible_assembly(assembly_id)
    if not (current_user.is_authenticated and current_user.role == "owner"):
        return redirect(url_for("owner.verify", assembly_id=a.id))
    account = current_account()
    choose = None
    try:
        template = build_template(a.id, account.id, request.args.get("head"))
    except ApiError as exc:
        if exc.code == "no_head":
            template = None
        elif exc.code == "choose_head":
            template, choose = None, exc.extra["heads"]
        else:
            raise
    secret = template is not None and template["ballot_secrecy"] == "secret"
    auditor_url = url_for("auditor.challenge", _external=True)
    return render_template(
        "owner/vote.html", assembly=a, step=2, t=template, choose=choose,
        auditor_qr=qr_svg(auditor_url, label=auditor_url) if secret else None,
        account=account_json(account), others=_others(), choice_labels=CHOICES,
        titles={str(it.position): it.title for it in a.items})
