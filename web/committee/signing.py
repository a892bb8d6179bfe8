"""Committee members' own keys: enrolment in an assembly's log, and checking who signed.

A member's key is an ECDSA P-256 key pair made by WebCrypto in their browser
with ``extractable: false`` and kept in IndexedDB (``static/js/ovcrypto.js``),
so the private key never reaches the server — not even this site's own
JavaScript can read it.  Before the first signed entry in an assembly, the
browser sends the public key (SPKI) and the server enrols it in that log
(``official.enrolled``, attested by the log key and naming the member by a
pseudonymous reference).  Paper ballots, proxies and voids are then prepared
by the server, shown to the member, signed in the browser and appended with
the signature: the audit bundle proves which enrolled committee key entered
each one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.store.models import StaffUser
from ledger import canonical
from ledger.ballots import key_id, load_official_key
from ledger.entries import PREFIXES, parse_entry
from ledger.errors import EncodingError, LedgerError, SignatureError
from ledger.store import logstore, writer
from ledger.store.models import LedgerEntry, LedgerKey
from ownervote.audit import record
from voting.errors import CastRefused
from voting.lifecycle import Status
from web import services
from web.access import roles_required
from web.committee import bp, clock
from web.committee.common import MANAGERS, managed_assembly, member, member_actor
from web.database import db


def member_ref(staff: StaffUser) -> str:
    """The ledger's pseudonym for a committee member (stable; unlinkable without the key)."""
    return "staff-" + services.hasher().opaque("committee-member", str(staff.id))[:24]


def fail(message: str, status: int = 200):
    """A refusal the member reads and acts on.  Refusals of a well-formed request are an
    answer (200 with ``ok: false``), not an HTTP error: the browser logs 4xx responses as
    console errors, and nothing about the request was wrong."""
    return jsonify({"ok": False, "error": message}), status


def _enrolled_ref(assembly_id: int, kid: str) -> str | None:
    row = db().get(LedgerKey, (assembly_id, kid))
    if row is None or row.kind != "official":
        return None
    entry = db().scalar(select(LedgerEntry.body).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == row.entry_index))
    return parse_entry(bytes(entry), row.entry_index).body["payload"]["ref"]


def owns_key(assembly_id: int, kid: Any) -> bool:
    """Is ``kid`` a committee key of this log enrolled for the signed-in member?"""
    if not isinstance(kid, str):
        return False
    return _enrolled_ref(assembly_id, kid) == member_ref(member())


@bp.post("/a/<int:assembly_id>/official-key")
@roles_required(*MANAGERS)
def enroll(assembly_id: int):
    """Enrol the member's browser key in this assembly's log (idempotent)."""
    a = managed_assembly(assembly_id)
    if a.status not in (Status.NOTICED.value, Status.OPEN.value):
        return fail(_("Committee keys are enrolled between the notice and the close."))
    body = request.get_json(silent=True) or {}
    try:
        spki = canonical.unb64url(body.get("spki", ""), "spki")
        load_official_key(spki)
    except (EncodingError, SignatureError, TypeError):
        return fail(_("This browser sent a key that is not a P-256 public key."))
    kid = key_id(spki)
    staff = member()
    known = _enrolled_ref(a.id, kid)
    if known is not None:
        if known != member_ref(staff):
            return fail(_("This key belongs to another committee member."), 403)
        return jsonify({"ok": True, "official": kid, "enrolled": False})
    session = db()
    session.commit()
    logstore.begin_write(session)
    try:
        out = writer.enroll_official(session, a.id, services.log_signer(), spki,
                                     member_ref(staff), now=clock.now())
        staff = session.get(StaffUser, staff.id)
        staff.signing_public_key = spki
        record(session, member_actor(), "official.enroll", f"assembly:{a.id}", key=kid[:16],
               entry=out.index)
        session.commit()
    except LedgerError as exc:
        session.rollback()
        return fail(_("The key could not be enrolled: %(detail)s", detail=str(exc)))
    return jsonify({"ok": True, "official": kid, "enrolled": True, "entry": out.index})


def signed_request(assembly_id: int) -> tuple[dict, bytes] | tuple[None, Any]:
    """The ``{payload, sig}`` a browser sends back, checked to be this member's key."""
    body = request.get_json(silent=True) or {}
    payload, sig = body.get("payload"), body.get("sig")
    if not isinstance(payload, dict) or not isinstance(sig, str):
        return None, fail(_("The signed entry is missing. Reload the page and try again."))
    try:
        raw = canonical.unb64url(sig, "sig")
    except EncodingError:
        return None, fail(_("The signature is malformed."))
    if not owns_key(assembly_id, payload.get("official")):
        return None, fail(_("This entry is not signed with your enrolled committee key."), 403)
    return payload, raw


def append_signed(a, write: Callable[[Session], logstore.Appended], *, done: Callable[[int], str],
                  back: str, refused: Callable[[CastRefused], str] | None = None):
    """Append a member-signed entry in one writer transaction and answer the browser.

    ``write`` appends (and records) in the session; ``done(index)`` is the message;
    ``back`` the page to return to.  A refusal rolls everything back and is answered
    with its reason (``refused`` words casting refusals).
    """
    from web.committee.refusals import ledger_refusal

    session = db()
    session.commit()
    logstore.begin_write(session)
    try:
        out = write(session)
        session.commit()
    except CastRefused as exc:
        session.rollback()
        if refused is None:
            raise
        return fail(refused(exc))
    except LedgerError as exc:
        session.rollback()
        return fail(ledger_refusal(exc))
    flash(done(out.index), "ok")
    return jsonify({"ok": True, "entry": out.index, "message": done(out.index),
                    "redirect": url_for(back, assembly_id=a.id)})


def to_sign(kind: str, payload: dict, summary: list[str]) -> dict:
    """What the browser shows, then signs: the domain prefix and the payload."""
    return {"ok": True, "kind": kind, "prefix": PREFIXES[kind].decode("ascii"),
            "payload": payload, "summary": summary}
