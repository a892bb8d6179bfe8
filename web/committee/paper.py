"""Paper ballots (书面投票) entered and signed by a committee member, and voiding ballots."""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ledger.ballots import new_nonce
from ledger.entries import BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED, VOIDED, parse_entry
from ledger.store import logstore, writer
from ledger.store.models import LedgerEntry
from ownervote.audit import record
from voting.errors import CastRefused
from voting.lifecycle import Status
from web.access import roles_required
from web.committee import bp, clock, vault
from web.committee.common import MANAGERS, local, managed_assembly, member_actor
from web.committee.figures import snapshot, unit_owners
from web.committee.refusals import cast_refusal
from web.committee.signing import append_signed, fail, signed_request, to_sign
from web.database import db
from web.templating import area as area_text

CHOICE_WORDS = {"agree": "Agree", "oppose": "Oppose", "abstain": "Abstain"}


def _choice_label(value: str) -> str:
    return {"agree": _("Agree"), "oppose": _("Oppose"), "abstain": _("Abstain")}[value]


def resolve_unit(a, s, building: str, number: str) -> tuple[str | None, str | None]:
    """(head id, None) or (None, why not) for a building and unit number typed in."""
    label = f"{building.strip()}-{number.strip()}"
    head = s.roster.head_of_unit.get(label)
    if head is not None:
        return head, None
    if label in s.roster.excluded:
        return None, _("Unit %(unit)s does not vote in this assembly (parking and storage are "
                       "not counted, or the building is outside the scope).", unit=label)
    return None, _("There is no unit %(unit)s in the frozen roster. Check the building and "
                   "unit number on the sheet.", unit=label)


@bp.get("/a/<int:assembly_id>/paper")
@roles_required(*MANAGERS)
def paper(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status == Status.DRAFT.value:
        abort(404)
    s = snapshot(a)
    origin = logstore.get_head(db(), a.id).origin
    buildings = sorted({u.building or "" for u in s.roster.units.values()},
                       key=lambda b: (len(b), b))
    return render_template("committee/paper.html", a=a, buildings=buildings, origin=origin,
                           entries=_ballot_rows(a, s, PAPER_BALLOT, limit=30),
                           is_open=a.status == Status.OPEN.value)


def _ballot_rows(a, s, kind: str | None = None, unit: str | None = None, limit: int = 500):
    kinds = (kind,) if kind else (BALLOT, PAPER_BALLOT)
    q = (select(LedgerEntry).where(LedgerEntry.assembly_id == a.id, LedgerEntry.kind.in_(kinds))
         .order_by(LedgerEntry.index.desc()))
    if unit:
        head = s.roster.head_of_unit.get(unit)
        q = q.where(LedgerEntry.head_id == (head or "-"))
    rows = []
    for e in db().scalars(q.limit(limit)):
        p = parse_entry(bytes(e.body), e.index).body["payload"]
        head = s.roster.heads.get(e.head_id)
        rows.append({"index": e.index, "kind": e.kind, "at": local(e.created_at),
                     "units": list(head.unit_ids) if head else [e.head_id],
                     "items": sorted(p["choices"], key=int), "voided": e.voided_by is not None,
                     "scan": p.get("scan_sha256")})
    return rows


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
    if a.status != Status.OPEN.value:
        return fail(_("Paper ballots can be entered only while voting is open."))
    s = snapshot(a)
    head, why = resolve_unit(a, s, request.form.get("building", ""),
                             request.form.get("unit", ""))
    if head is None:
        return fail(why)
    choices = _choices(a, request.form)
    if not choices:
        return fail(_("The ballot marks no item. Enter at least one choice as it is on the "
                      "sheet."))
    upload = request.files.get("scan")
    content = upload.read(vault.MAX_BYTES + 1) if upload else b""
    try:
        scan_sha, _mime = vault.put(a.id, "scan", content)
    except vault.VaultError:
        return fail(_("Attach the scan or photo of the signed sheet (PDF, JPEG or PNG, at most "
                      "10 MB)."))
    log = logstore.get_head(db(), a.id)
    payload = {"origin": log.origin, "head": head, "official": request.form.get("official", ""),
               "seq": writer.next_seq(db(), a.id, head), "nonce": new_nonce(),
               "choices": choices, "scan_sha256": scan_sha}
    try:
        # The checks enter_paper_ballot makes again under the log's lock, run before the
        # member signs, so a double vote is explained before anyone signs anything.
        writer._rules(db(), log, PAPER_BALLOT, payload, s.roster)  # noqa: SLF001
    except CastRefused as exc:
        return fail(cast_refusal(exc, a.id, head))
    units = s.roster.heads[head].unit_ids
    owners = unit_owners(a)
    names = sorted({n for u in units for _i, n in owners.get(u, ())})
    summary = [_("Units %(units)s (%(area)s), owner %(names)s", units="、".join(units),
                 area=area_text(s.roster.heads[head].area), names="、".join(names) or "—")]
    summary += _describe(a, choices)
    summary.append(_("Scan SHA-256 %(sha)s…", sha=scan_sha[:16]))
    return jsonify(to_sign(PAPER_BALLOT, payload, summary))


@bp.post("/a/<int:assembly_id>/paper/submit")
@roles_required(*MANAGERS)
def paper_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request(a.id)
    if payload is None:
        return sig

    def write(session):
        out = writer.enter_paper_ballot(session, a.id, payload, sig, now=clock.now())
        record(session, member_actor(), "paper_ballot.enter", f"assembly:{a.id}",
               entry=out.index, head=payload.get("head"))
        return out

    return append_signed(
        a, write, back="committee.paper",
        done=lambda n: _("Paper ballot entered as ledger entry %(n)s.", n=n),
        refused=lambda exc: cast_refusal(exc, a.id, str(payload.get("head"))))


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
    s = snapshot(a)
    unit = (request.args.get("unit") or "").strip() or None
    origin = logstore.get_head(db(), a.id).origin
    return render_template("committee/ballots.html", a=a, rows=_ballot_rows(a, s, unit=unit),
                           unit=unit, origin=origin, can_void=a.status == Status.OPEN.value)


@bp.post("/a/<int:assembly_id>/void/prepare")
@roles_required(*MANAGERS)
def void_prepare(assembly_id: int):
    a = managed_assembly(assembly_id)
    if a.status != Status.OPEN.value:
        return fail(_("Ballots can be voided only while voting is open; after the close the "
                      "count is final."))
    target = request.form.get("target", type=int)
    reason = (request.form.get("reason") or "").strip()
    entry = db().scalars(select(LedgerEntry).where(
        LedgerEntry.assembly_id == a.id, LedgerEntry.index == (target or -1))).first()
    if entry is None or entry.kind not in (BALLOT, PAPER_BALLOT, UNIT_TRANSFERRED):
        return fail(_("There is no ballot at that ledger position."))
    if entry.voided_by is not None:
        return fail(_("That ballot is already void."))
    if not 4 <= len(reason) <= 200:
        return fail(_("Give the reason in 4 to 200 characters (it is published in the ledger: "
                      "no names)."))
    log = logstore.get_head(db(), a.id)
    payload = {"origin": log.origin, "target": entry.index, "reason": reason,
               "official": request.form.get("official", ""), "nonce": new_nonce()}
    summary = [_("Void ledger entry %(n)s: %(reason)s", n=entry.index, reason=reason)]
    return jsonify(to_sign(VOIDED, payload, summary))


@bp.post("/a/<int:assembly_id>/void/submit")
@roles_required(*MANAGERS)
def void_submit(assembly_id: int):
    a = managed_assembly(assembly_id)
    payload, sig = signed_request(a.id)
    if payload is None:
        return sig

    def write(session):
        out = writer.void_entry(session, a.id, payload, sig, now=clock.now())
        record(session, member_actor(), "ballot.void", f"assembly:{a.id}", entry=out.index,
               target=payload.get("target"))
        return out

    return append_signed(a, write, back="committee.ballots",
                         done=lambda n: _("Ballot voided (ledger entry %(n)s).", n=n))
