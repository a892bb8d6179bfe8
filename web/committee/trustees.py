"""A secret assembly's trustees on the committee console: hand in a trustee's document
file, and where the key ceremony stands (:mod:`ownervote.services.trustee_documents`).

``POST /committee/a/<id>/trustee-documents`` takes the file (form field ``document``)
and answers with a message on the assembly page (or JSON when asked for it:
``Accept: application/json``); ``GET /committee/a/<id>/trustee-documents`` is the
ceremony's state as JSON (phase, what it waits for, the trustees' fingerprints).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from ledger.errors import LedgerError, Refusal
from ownervote.services import trustee_documents
from web import instance
from web.access import roles_required
from web.committee import bp, clock
from web.committee.console import MANAGERS, managed_assembly, member_actor
from web.database import db

MAX_DOCUMENT = 256 * 1024  # a dealing of 64 trustees is about 25 KB


def _phase(phase: str | None) -> str:
    return {
        "announcing": lambda: _("waiting for the trustees' announcements"),
        "dealing": lambda: _("waiting for the trustees' dealings"),
        "confirming": lambda: _("waiting for confirmations or answers to complaints"),
        "final": lambda: _("final: the election key is fixed"),
        "failed": lambda: _("failed: run the ceremony again with fresh keys"),
    }.get(phase or "", lambda: _("no key ceremony (open ballots)"))()


REFUSALS: dict[Refusal, Callable[[Mapping[str, Any]], str]] = {
    Refusal.NOT_SECRET: lambda p: _("This assembly's ballots are open: it has no trustees."),
    Refusal.BAD_TRUSTEE_DOCUMENT: lambda p: _(
        "The trustee document was refused (%(where)s). Ask the trustee to check the file "
        "with “ownervote trustee status” and hand it in again.", where=p.get("where", "-")),
    Refusal.CEREMONY_NOT_FINAL: lambda p: _(
        "The key ceremony does not take this document now (%(phase)s).",
        phase=_phase(p.get("phase"))),
}


def refusal_message(exc: LedgerError) -> str:
    words = REFUSALS.get(exc.code) if exc.code is not None else None
    if words is None:
        return _("The ledger refused this step; the details are in the server log.")
    return words(exc.params)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/a/<int:assembly_id>/trustee-documents")
@roles_required(*MANAGERS)
def submit_trustee_document(assembly_id: int):
    a = managed_assembly(assembly_id)
    back = redirect(url_for("committee.assembly", assembly_id=a.id) + "#trustees")
    upload = request.files.get("document")
    data = upload.read(MAX_DOCUMENT + 1) if upload is not None else b""
    if not data or len(data) > MAX_DOCUMENT:
        message = _("Choose the trustee's document file (a .json file of at most 256 KB).")
        if _wants_json():
            return jsonify({"ok": False, "error": "no_document", "message": message}), 400
        flash(message, "error")
        return back
    try:
        out = trustee_documents.submit(db(), a.id, data, base_url=instance.settings().base_url,
                                       now=clock.now(), actor=member_actor())
    except LedgerError as exc:
        if exc.code is None:
            raise
        message = refusal_message(exc)
        if _wants_json():
            return jsonify({"ok": False, "error": exc.code.value, "message": message,
                            **{k: v for k, v in exc.params.items() if k == "where"}}), 422
        flash(message, "error")
        return back
    message = _("Trustee %(trustee)s's document is recorded. Key ceremony: %(phase)s.",
                trustee=out.trustee, phase=_phase(out.phase))
    if _wants_json():
        return jsonify({"ok": True, "kind": out.kind, "trustee": out.trustee,
                        "digest": out.digest, "entry": out.entry, "phase": out.phase,
                        "message": message}), 201
    flash(message, "ok")
    return back


@bp.get("/a/<int:assembly_id>/trustee-documents")
@roles_required(*MANAGERS)
def trustee_status(assembly_id: int):
    a = managed_assembly(assembly_id)
    view = trustee_documents.ceremony_status(db(), a.id, base_url=instance.settings().base_url)
    return jsonify({**view.to_json(), "phase_text": _phase(view.phase)})
