"""Witnesses hand in cosignatures: a form on the checkpoints page, and a plain-text endpoint.

A cosignature is authenticated by itself: :func:`ownervote.services.cosignatures.add`
stores it only if it is a valid cosignature/v1 signature, by a witness an
administrator registered, over exactly that checkpoint.  So neither route
needs a session; the form still carries the CSRF token like every form, and
the plain-text route (for scripts: ``ownervote keys cosign … | curl
--data-binary @- …``) is exempt from CSRF because a cookie gives it nothing.
"""

from __future__ import annotations

import logging

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ownervote.services import cosignatures
from web.access import public
from web.auditor import bp, records
from web.database import db
from web.extensions import csrf, limiter
from web.numbers import whole_number_or_none

log = logging.getLogger(__name__)
MAX_LINE = 4096


def _store(assembly_id: int, size: int, text: str) -> tuple[str | None, str]:
    """(witness name, "") when stored, else (None, reason for the person who sent it)."""
    text = text.replace("\r\n", "\n").strip("\n") + "\n"
    if len(text) > MAX_LINE or not text.strip():
        return None, _("Paste one cosignature line (it starts with “—”).")
    try:
        name = cosignatures.add(db(), assembly_id, size, text)  # NotFound: 404 (web.errors)
    except LedgerError as exc:
        log.info("cosignature refused for assembly %s size %s: %s", assembly_id, size, exc)
        return None, _("The cosignature was not accepted: it is not a valid signature of this "
                       "checkpoint by a registered witness, or that witness already cosigned it.")
    return name, ""


@bp.post("/assemblies/<int:assembly_id>/cosign")
@public
@limiter.limit("20 per minute")
def cosign_form(assembly_id: int):
    records.record_or_404(assembly_id)
    size = whole_number_or_none(request.form.get("size"))
    if size is None:
        flash(_("Choose the checkpoint you cosigned."), "error")
        return redirect(url_for("auditor.checkpoints", assembly_id=assembly_id))
    name, reason = _store(assembly_id, size, request.form.get("cosignature", ""))
    if name:
        flash(_("Cosignature by %(name)s recorded.", name=name), "ok")
    else:
        flash(reason, "error")
    return redirect(url_for("auditor.checkpoints", assembly_id=assembly_id) + f"#cp-{size}")


@bp.post("/assemblies/<int:assembly_id>/checkpoints/<int:size>/cosignatures")
@public
@csrf.exempt
@limiter.limit("20 per minute")
def cosign_api(assembly_id: int, size: int):
    """Body: the cosignature line (or the whole cosigned note), text/plain."""
    records.record_or_404(assembly_id)
    body = request.stream.read(MAX_LINE + 1)  # never more than one line's worth
    if len(body) > MAX_LINE:
        return jsonify(error="too_large", message=_("Send one cosignature line.")), 413
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return jsonify(error="refused", message=_("Send one cosignature line.")), 422
    name, reason = _store(assembly_id, size, text)
    if name is None:
        return jsonify(error="refused", message=reason), 422
    return jsonify(witness=name, size=size), 201
