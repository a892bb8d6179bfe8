"""Step 4: the receipt; and "check my ballot", whose proofs the browser verifies itself."""

from __future__ import annotations

import datetime as dt

from flask import redirect, render_template, request, url_for

from ledger import timestamps
from ownervote.services import owner_assemblies
from web.access import public
from web.api.assemblies import normalise_tracker, receipt_lookup
from web.api.data import accepting_ballots
from web.api.messages import CHOICES, REVOTE
from web.api.owner_session import visible_assembly
from web.database import db
from web.owner import bp
from web.owner.assembly import log_key_id
from web.qr import qr_svg


@bp.get("/a/<int:assembly_id>/receipt/<tracker>")
@public
def receipt(assembly_id: int, tracker: str):
    """The receipt: anyone sees that the ballot is in the ledger; only the owner who votes
    for its head, signed in, sees its choices and whether it still counts (the lookup
    decides: :func:`web.api.assemblies.receipt_lookup`)."""
    a = visible_assembly(assembly_id)
    found = receipt_lookup(a.id, tracker)
    head = owner_assemblies.log_of(db(), a.id)
    check_url = url_for("owner.check", assembly_id=a.id, tracker=found["tracker"],
                        _external=True)
    settings = owner_assemblies.settings_of(a)
    mine = found["mine"]
    return render_template(
        "owner/receipt.html", assembly=a, step=4, r=found, check_url=check_url, mine=mine,
        secret=settings.secret,
        qr=qr_svg(check_url, label=found["tracker"]), choice_labels=CHOICES,
        recorded_at=dt.datetime.fromisoformat(found["time"].replace("Z", "+00:00")),
        titles={str(it.position): it.title for it in a.items},
        revote=REVOTE[settings.revote.value], may_change=mine
        and settings.revote.value != "none" and accepting_ballots(a, head, timestamps.now_ms()))


@bp.get("/a/<int:assembly_id>/check")
@public
def check_form(assembly_id: int):
    a = visible_assembly(assembly_id)
    typed = request.args.get("tracker")
    error = False
    if typed is not None:
        tracker = normalise_tracker(typed)
        if tracker is not None:
            return redirect(url_for("owner.check", assembly_id=a.id, tracker=tracker))
        error = True
    return render_template("owner/check.html", assembly=a, tracker=None, error=error,
                           typed=typed or "")


@bp.get("/a/<int:assembly_id>/check/<tracker>")
@public
def check(assembly_id: int, tracker: str):
    a = visible_assembly(assembly_id)
    normal = normalise_tracker(tracker)
    if normal is None:
        return redirect(url_for("owner.check_form", assembly_id=a.id, tracker=tracker))
    head = owner_assemblies.log_of(db(), a.id)
    return render_template("owner/check.html", assembly=a, tracker=normal, error=None,
                           log_key_id=log_key_id(head),
                           log_key=head.log_vkey if head is not None else "")
