"""Paper ballots (书面投票) entered and signed by a committee member, and voiding ballots."""

from __future__ import annotations

import json

from flask import Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ledger.kinds import PAPER_BALLOT, VOIDED
from ownervote.services import committee_keys, paper_ballots, secret_assemblies, voids
from ownervote.services.committee_keys import EntryRefused
from voting.errors import CastRefused
from voting.lifecycle import Status
from web import instance
from web.access import roles_required
from web.committee import bp, clock, vault
from web.committee.console import MANAGERS, local, managed_assembly
from web.committee.refusals import cast_refusal, ledger_refusal
from web.committee.signing import (
    answer_signed,
    fail,
    refused,
    signed_by,
    signed_request,
    to_sign,
)
from web.database import db
from web.numbers import whole_number
from web.templating import area as area_text

CHOICE_WORDS = {"agree": "Agree", "oppose": "Oppose", "abstain": "Abstain"}


def _choice_label(value: str) -> str:
    return {"agree": _("Agree"), "oppose": _("Oppose"), "abstain": _("Abstain")}[value]


def typed_unit(a, *, frozen: bool = False):
    """The roster head of the unit typed in the form (``building``, ``unit``): the one that
    holds it now, or (``frozen``) the one of the roster frozen at notice."""
    return committee_keys.resolve_unit(db(), a.id, request.form.get("building", ""),
                                       request.form.get("unit", ""), frozen=frozen)


@bp.get("/a/<int:assembly_id>/paper")
@roles_required(*MANAGERS)
def paper(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    secret = secret_assemblies.ballot_secrecy(a) == "secret"
    return render_template("committee/paper.html", a=a,
                           buildings=committee_keys.roster_buildings(db(), a.id),
                           origin=committee_keys.log_origin(db(), a.id), secret=secret,
                           election_key=paper_ballots.election_key_hex(db(), a.id) if secret
                           else None, secret_items=_secret_items(a) if secret else [],
                           entries=_ballot_rows(a, PAPER_BALLOT, limit=30),
                           is_open=a.status == Status.OPEN.value)


def _ballot_rows(a, kind: str | None = None, unit: str | None = None, limit: int = 500):
    return [{"index": r.index, "kind": r.kind, "at": local(r.at), "units": list(r.units),
             "items": list(r.items), "voided": r.voided, "scan": r.scan}
            for r in paper_ballots.ballot_rows(db(), a.id, kind=kind, unit=unit, limit=limit)]


def _choices(a, form) -> dict:
    choices: dict = {}
    for item in a.items:
        key = str(item.position)
        if item.kind == "election":
            picked = [c for c in form.getlist(f"item_{key}") if c in (item.candidates or [])]
            if form.get(f"item_{key}_invalid") == "on":
                choices[key] = "invalid"  # over-marked or unreadable: takes part, no candidate
            elif picked or form.get(f"item_{key}_blank") == "on":
                choices[key] = sorted(picked)
        else:
            value = form.get(f"item_{key}") or ""
            if value in CHOICE_WORDS:
                choices[key] = value
    return choices


def _secret_items(a) -> list[dict]:
    """The notice's items as ovsecret.prepare takes them, a paper ballot's (with invalid)."""
    return [{"key": str(it.position), "kind": "election", "seats": it.seats,
             "candidates": list(it.candidates or []), "paper": True}
            if it.kind == "election" else {"key": str(it.position), "kind": "motion"}
            for it in a.items]


def _encrypted_form() -> tuple[dict | None, int | None]:
    """A secret paper ballot's ``encrypted`` (JSON) and ``seq`` from the member's browser;
    (None, None) when the browser has not encrypted yet; ValueError when malformed."""
    raw, seq = request.form.get("encrypted"), request.form.get("seq")
    if not raw:
        return None, None
    value = json.loads(raw)
    number = whole_number(seq or "")
    if not isinstance(value, dict) or number is None:
        raise ValueError("encrypted is an object, seq a whole number")
    return value, number


def _describe(a, choices: dict) -> list[str]:
    lines = []
    for item in a.items:
        vote = choices.get(str(item.position))
        if vote is None:
            continue
        if isinstance(vote, list):
            text = "、".join(vote) if vote else _("blank (approves nobody)")
        elif vote == "invalid":
            text = _("invalid (over-marked or unreadable): takes part, counts for no candidate")
        else:
            text = _choice_label(vote)
        lines.append(_("Item %(n)s %(title)s: %(vote)s", n=item.position, title=item.title,
                       vote=text))
    return lines


@bp.post("/a/<int:assembly_id>/paper/prepare")
@roles_required(*MANAGERS)
def paper_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        head = typed_unit(a)
    except EntryRefused as exc:
        return refused(exc, "paper")
    except LedgerError as exc:  # no log yet
        return fail(ledger_refusal(exc, "paper"))
    secret = secret_assemblies.ballot_secrecy(a) == "secret"
    encrypted: dict | None = None
    seq: int | None = None
    choices = _choices(a, request.form)
    if secret and not choices:
        # the page's way (committee-paper-secret.js): the choices never leave the member's
        # browser in clear.  It asks first for the head and its next ballot number (the
        # proofs are bound to them), then sends only the ciphertexts.  (A client that sends
        # the choices gets the payload to encrypt before signing, as in an open assembly.)
        try:
            encrypted, seq = _encrypted_form()
        except ValueError:
            return fail(_("The encrypted ballot is not in the expected form. Reload the page "
                          "and enter it again."))
        if encrypted is None:
            return jsonify({"ok": True, "encrypt": {
                "head": head.head_id,
                "seq": secret_assemblies.next_seq(db(), a.id, head.head_id)}})
    elif not choices:
        return fail(_("The ballot marks no item. Enter at least one choice as it is on "
                      "the sheet."))
    try:
        # the checks the ledger makes again under the log's lock, before the member signs,
        # so a double vote is explained before anyone signs anything
        payload = paper_ballots.prepare(db(), a.id, head_id=head.head_id,
                                        choices=None if encrypted is not None else choices,
                                        encrypted=encrypted, seq=seq,
                                        official=request.form.get("official", ""),
                                        now=clock.now(), voter=request.form.get("voter") or None,
                                        hasher=instance.hasher(), cipher=instance.pii())
    except CastRefused as exc:
        return fail(cast_refusal(exc, a.id, head.head_id))
    except LedgerError as exc:
        return fail(ledger_refusal(exc, "paper"))
    upload = request.files.get("scan")
    content = upload.read(vault.MAX_BYTES + 1) if upload else b""
    try:
        scan_sha, _mime = vault.put(a.id, "scan", content)
    except vault.VaultError:
        return fail(_("Attach the scan or photo of the signed sheet (PDF, JPEG or PNG, at most "
                      "10 MB)."))
    payload["scan_sha256"] = scan_sha
    names = paper_ballots.owner_names(db(), a.id, head.head_id, cipher=instance.pii())
    summary = [_("Units %(units)s (%(area)s), owner %(names)s", units="、".join(head.unit_ids),
                 area=area_text(head.area), names="、".join(names) or "—")]
    if encrypted is not None:  # the member's browser adds the choices it encrypted
        summary.append(_("Encrypted on this device: the server never saw the choices."))
    summary += _describe(a, choices)
    summary.append(_("Scan SHA-256 %(sha)s…", sha=scan_sha[:16]))
    # a secret assembly: the member's device replaces "choices" by "encrypted" (the paper
    # layout, with "invalid"; docs/secret-ballots.md §10.1) before signing
    return jsonify({**to_sign(PAPER_BALLOT, payload, summary),
                    "election_key": paper_ballots.election_key_hex(db(), a.id)})


@bp.post("/a/<int:assembly_id>/paper/submit")
@roles_required(*MANAGERS)
def paper_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request()
    if payload is None:
        return sig
    return answer_signed(
        a, lambda: paper_ballots.enter(db(), a.id, payload=payload, sig=sig, **signed_by()),
        action="paper", back="committee.paper",
        done=lambda n: _("Paper ballot entered as ledger entry %(n)s.", n=n),
        cast_refused=lambda exc: cast_refusal(exc, a.id, str(payload.get("head"))))


@bp.get("/a/<int:assembly_id>/files/<kind>/<sha256>")
@roles_required(*MANAGERS)
def private_file(assembly_id: int, kind: str, sha256: str):
    a = managed_assembly(assembly_id)
    try:
        content, mime = vault.get(a.id, kind, sha256)
    except vault.VaultError:
        abort(404)
    return Response(content, mimetype=mime, headers={"Cache-Control": "no-store",
                                                     "Content-Disposition": "inline"})


@bp.get("/a/<int:assembly_id>/ballots")
@roles_required(*MANAGERS)
def ballots(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    unit = (request.args.get("unit") or "").strip() or None
    return render_template("committee/ballots.html", a=a, rows=_ballot_rows(a, unit=unit),
                           unit=unit, origin=committee_keys.log_origin(db(), a.id),
                           can_void=a.status == Status.OPEN.value,
                           secret=secret_assemblies.ballot_secrecy(a) == "secret")


@bp.post("/a/<int:assembly_id>/void/prepare")
@roles_required(*MANAGERS)
def void_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        payload = voids.prepare(db(), a.id, target=request.form.get("target", type=whole_number),
                                reason=request.form.get("reason") or "",
                                official=request.form.get("official", ""))
    except LedgerError as exc:
        return fail(ledger_refusal(exc, "void"))
    return jsonify(to_sign(VOIDED, payload, _void_summary(a, payload)))


def _void_summary(a, payload: dict) -> list[str]:
    """What the member signs, in words: the entry, whose ballot of which kind, the reason."""
    rows = paper_ballots.ballot_rows(db(), a.id, index=payload["target"], limit=1)
    if rows:
        row = rows[0]
        what = (_("Void ledger entry %(n)s: the paper ballot for %(units)s.", n=row.index,
                  units="、".join(row.units)) if row.kind == PAPER_BALLOT else
                _("Void ledger entry %(n)s: the ballot cast online for %(units)s.", n=row.index,
                  units="、".join(row.units)))
    else:  # not a ballot: a transfer recorded by mistake
        what = _("Void ledger entry %(n)s: the recorded transfer.", n=payload["target"])
    return [what, _("Reason (published): %(reason)s", reason=payload["reason"])]


@bp.post("/a/<int:assembly_id>/void/submit")
@roles_required(*MANAGERS)
def void_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request()
    if payload is None:
        return sig
    return answer_signed(
        a, lambda: voids.void(db(), a.id, payload=payload, sig=sig, **signed_by()),
        action="void", back="committee.ballots",
        done=lambda n: _("Ballot voided (ledger entry %(n)s).", n=n))
