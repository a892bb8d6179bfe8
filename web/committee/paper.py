"""Paper ballots (书面投票) entered and signed by a committee member, and voiding ballots."""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ledger.errors import LedgerError
from ledger.kinds import PAPER_BALLOT, VOIDED
from ownervote.services import committee_keys, paper_ballots, voids
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
from web.templating import area as area_text

CHOICE_WORDS = {"agree": "Agree", "oppose": "Oppose", "abstain": "Abstain"}


def _choice_label(value: str) -> str:
    return {"agree": _("Agree"), "oppose": _("Oppose"), "abstain": _("Abstain")}[value]


def typed_unit(a):
    """The roster head of the unit typed in the form (``building``, ``unit``)."""
    return committee_keys.resolve_unit(db(), a.id, request.form.get("building", ""),
                                       request.form.get("unit", ""))


@bp.get("/a/<int:assembly_id>/paper")
@roles_required(*MANAGERS)
def paper(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    return render_template("committee/paper.html", a=a,
                           buildings=committee_keys.roster_buildings(db(), a.id),
                           origin=committee_keys.log_origin(db(), a.id),
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
            if picked or form.get(f"item_{key}_blank") == "on":
                choices[key] = sorted(picked)
        else:
            value = form.get(f"item_{key}") or ""
            if value in CHOICE_WORDS:
                choices[key] = value
    return choices


def _describe(a, choices: dict) -> list[str]:
    lines = []
    for item in a.items:
        vote = choices.get(str(item.position))
        if vote is None:
            continue
        if isinstance(vote, list):
            text = "、".join(vote) if vote else _("blank (approves nobody)")
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
    choices = _choices(a, request.form)
    if not choices:
        return fail(_("The ballot marks no item. Enter at least one choice as it is on the "
                      "sheet."))
    try:
        # the checks the ledger makes again under the log's lock, before the member signs,
        # so a double vote is explained before anyone signs anything
        payload = paper_ballots.prepare(db(), a.id, head_id=head.head_id, choices=choices,
                                        official=request.form.get("official", ""),
                                        now=clock.now())
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
    summary += _describe(a, choices)
    summary.append(_("Scan SHA-256 %(sha)s…", sha=scan_sha[:16]))
    return jsonify(to_sign(PAPER_BALLOT, payload, summary))


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
                           can_void=a.status == Status.OPEN.value)


@bp.post("/a/<int:assembly_id>/void/prepare")
@roles_required(*MANAGERS)
def void_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    try:
        payload = voids.prepare(db(), a.id, target=request.form.get("target", type=int),
                                reason=request.form.get("reason") or "",
                                official=request.form.get("official", ""))
    except LedgerError as exc:
        return fail(ledger_refusal(exc, "void"))
    summary = [_("Void ledger entry %(n)s: %(reason)s", n=payload["target"],
                 reason=payload["reason"])]
    return jsonify(to_sign(VOIDED, payload, summary))


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
