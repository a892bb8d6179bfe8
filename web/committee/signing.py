"""Committee members' own keys: enrolment in an assembly's log, and the signed entries' answers.

A member's key is an ECDSA P-256 key pair made by WebCrypto in their browser
with ``extractable: false`` and kept in IndexedDB (``static/js/ovcrypto.js``),
so the private key never reaches the server — not even this site's own
JavaScript can read it.  Before the first signed entry in an assembly, the
browser sends the public key (SPKI) and the server enrols it in that log
(:func:`ownervote.services.committee_keys.enroll`).  Paper ballots, proxies,
transfers and voids are then prepared by the server, shown to the member, signed
in the browser and appended with the signature: the audit bundle proves which
enrolled committee key entered each one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, jsonify, url_for
from flask_babel import gettext as _

from ledger import canonical
from ledger.ballots import PREFIXES
from ledger.errors import EncodingError, LedgerError
from ownervote.services import committee_keys
from ownervote.services.committee_keys import EntryRefusal, EntryRefused
from voting.errors import CastRefused
from web import instance
from web.access import roles_required
from web.committee import bp, clock
from web.committee.console import MANAGERS, managed_assembly, member, member_actor
from web.committee.refusals import entry_refusal, ledger_refusal
from web.database import db
from web.jsonbody import NotAnObject, json_object


def member_ref(staff) -> str:
    """The ledger's pseudonym for a committee member (stable; unlinkable without the key)."""
    return committee_keys.member_ref(instance.hasher(), staff.id)


def console_json() -> dict[str, Any]:
    """The browser's JSON object; anything else (an array, JSON nested too deeply, a lone
    surrogate) was not sent by the console's pages: a 400 that says what is wrong."""
    try:
        return json_object()
    except NotAnObject as exc:
        abort(400, description=str(exc))


def fail(message: str, status: int = 200):
    """A refusal the member reads and acts on.  Refusals of a well-formed request are an
    answer (200 with ``ok: false``), not an HTTP error: the browser logs 4xx responses as
    console errors, and nothing about the request was wrong."""
    return jsonify({"ok": False, "error": message}), status


def refused(exc: EntryRefused, action: str):
    """The answer to a refusal of the service layer (403 for another member's key)."""
    forbidden = exc.code in (EntryRefusal.KEY_OF_ANOTHER_MEMBER, EntryRefusal.NOT_YOUR_KEY)
    return fail(entry_refusal(exc, action), 403 if forbidden else 200)


@bp.post("/a/<int:assembly_id>/official-key")
@roles_required(*MANAGERS)
def enroll(assembly_id: int):
    """Enrol the member's browser key in this assembly's log (idempotent)."""
    a = managed_assembly(assembly_id)
    staff = member()
    body = console_json()
    try:
        spki = canonical.unb64url(body.get("spki", ""), "spki")
    except (EncodingError, TypeError):
        spki = b""
    try:
        out = committee_keys.enroll(db(), a.id, spki=spki, staff_id=staff.id,
                                    hasher=instance.hasher(), signer=instance.log_signer(),
                                    now=clock.now(), actor=member_actor())
    except EntryRefused as exc:
        return refused(exc, "key")
    except LedgerError as exc:
        return fail(ledger_refusal(exc, "key"))
    answer: dict[str, Any] = {"ok": True, "official": out.official, "enrolled": out.enrolled}
    if out.entry is not None:
        answer["entry"] = out.entry
    return jsonify(answer)


def signed_request() -> tuple[dict, bytes] | tuple[None, Any]:
    """The ``{payload, sig}`` a browser sends back (whose key it is, the service checks)."""
    body = console_json()
    payload, sig = body.get("payload"), body.get("sig")
    if not isinstance(payload, dict) or not isinstance(sig, str):
        return None, fail(_("The signed entry is missing. Reload the page and try again."))
    try:
        raw = canonical.unb64url(sig, "sig")
    except EncodingError:
        return None, fail(_("The signature is malformed."))
    return payload, raw


def signed_by() -> dict[str, Any]:
    """Who signs: the keyword arguments every signed-entry service takes about the member."""
    return {"staff_id": member().id, "hasher": instance.hasher(), "now": clock.now(),
            "actor": member_actor()}


def answer_signed(a, append: Callable[[], Any], *, action: str, done: Callable[[int], str],
                  back: str, cast_refused: Callable[[CastRefused], str] | None = None):
    """Call the service that appends a member-signed entry and answer the browser.

    ``append()`` is that call (one unit of work); ``done(index)`` the message;
    ``back`` the page to return to.  A refusal is answered with its reason, worded
    from its code (``cast_refused`` words the casting rules' refusals).
    """
    try:
        out = append()
    except EntryRefused as exc:
        return refused(exc, action)
    except CastRefused as exc:
        if cast_refused is None:
            raise
        return fail(cast_refused(exc))
    except LedgerError as exc:
        return fail(ledger_refusal(exc, action))
    flash(done(out.index), "ok")
    return jsonify({"ok": True, "entry": out.index, "message": done(out.index),
                    "redirect": url_for(back, assembly_id=a.id)})


def to_sign(kind: str, payload: dict, summary: list[str]) -> dict:
    """What the browser shows, then signs: the domain prefix and the payload."""
    return {"ok": True, "kind": kind, "prefix": PREFIXES[kind].decode("ascii"),
            "payload": payload, "summary": summary}
