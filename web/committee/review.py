"""The review queue (identity.store.review): people the registry does not show yet, with evidence,
approved by two committee members other than the one who submitted."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import select

from identity.errors import IdentityError
from identity.masking import mask_name
from identity.pii import owner_name_purpose
from identity.store import review as queue
from identity.store import rosters as roster_store
from identity.store.models import (
    Building,
    Owner,
    Ownership,
    ReviewEvidence,
    ReviewRequest,
    StaffUser,
    Unit,
)
from identity.vocab import ID_TYPE_ZH
from web import services
from web.access import require_manage, roles_required
from web.committee import bp, vault
from web.committee.common import communities, member
from web.committee.forms import FormError
from web.database import db

KIND_LABELS = {
    "delivered_buyer": lazy_gettext("Buyer in possession, not yet registered (SPC art. 1)"),
    "heir": lazy_gettext("Heir"),
    "court_ruling": lazy_gettext("Owner by a court ruling"),
    "developer": lazy_gettext("The developer of unowned units"),
    "guardian": lazy_gettext("Guardian of an owner without full capacity"),
    "legal_representative": lazy_gettext("Legal representative of an organisation owner"),
}
REJECT_REASONS = {
    "evidence_insufficient": lazy_gettext("The evidence does not prove it"),
    "wrong_unit": lazy_gettext("Wrong unit or owner"),
    "duplicate": lazy_gettext("Already recorded"),
}


def review_refusal(exc: IdentityError) -> str:
    """identity's reasons (English, for logs) in the member's language."""
    text = str(exc)
    known = (
        ("cannot decide it", _("You submitted this review; two other members must decide it.")),
        ("has already decided", _("You have already decided this review.")),
        ("no evidence", _("No evidence is attached yet.")),
        ("changed in the roster", _("The unit changed in the roster since this was submitted; "
                                    "submit it again.")),
        ("person's ID", _("The ID number is not valid for the ID type chosen.")),
        ("name is required", _("Enter the person's name.")),
        ("a unit of community", _("Enter a unit of this community, as building-number.")),
        ("not in the current roster", _("That unit or owner is not in the current roster.")),
    )
    for needle, message in known:
        if needle in text and message:
            return message
    return _("Not done: %(detail)s", detail=text)


def _community_id() -> int:
    options = communities()
    wanted = request.values.get("community_id", type=int)
    if wanted is None:
        chosen = options[0] if options else None
    else:
        chosen = next((c for c in options if c.id == wanted), None)
    if chosen is None:
        abort(404)
    require_manage(chosen.id)
    return chosen.id


def _request(reference: str) -> ReviewRequest:
    r = db().scalars(select(ReviewRequest).where(ReviewRequest.reference == reference)).first()
    if r is None:
        abort(404)
    require_manage(r.community_id)
    return r


def _unit(community_id: int, label: str) -> Unit | None:
    building, _sep, number = label.strip().partition("-")
    return db().scalars(select(Unit).join(Building, Building.id == Unit.building_id).where(
        Unit.community_id == community_id, Building.name == building.strip(),
        Unit.number == number.strip())).first()


def _unit_owners(community_id: int, unit: Unit) -> list[tuple[int, str]]:
    version = roster_store.latest_version(db(), community_id)
    if version is None:
        return []
    rows = db().execute(select(Owner.id, Owner.id_hash, Owner.name_enc).join(
        Ownership, Ownership.owner_id == Owner.id).where(
        Ownership.roster_version_id == version.id, Ownership.unit_id == unit.id))
    cipher = services.pii()
    return [(oid, mask_name(cipher.decrypt_text(enc, purpose=owner_name_purpose(h))))
            for oid, h, enc in rows]


def _staff_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db().execute(select(StaffUser.id, StaffUser.username)
                             .where(StaffUser.id.in_(ids))).all())


@bp.get("/review")
@roles_required("committee", "admin")
def review_queue():
    community_id = _community_id()
    pending = queue.pending(db(), community_id)
    decided = db().scalars(select(ReviewRequest).where(
        ReviewRequest.community_id == community_id, ReviewRequest.status != "pending")
        .order_by(ReviewRequest.id.desc()).limit(20)).all()
    units = {u.id: u.label for u in db().scalars(select(Unit).where(Unit.id.in_(
        [r.unit_id for r in [*pending, *decided] if r.unit_id])))}
    staff = _staff_names({r.submitted_by for r in [*pending, *decided]})
    return render_template("committee/review_list.html", pending=pending, decided=decided,
                           units=units, staff=staff, kinds=KIND_LABELS,
                           community_id=community_id)


@bp.route("/review/new", methods=["GET", "POST"])
@roles_required("committee", "admin")
def review_new():
    community_id = _community_id()
    form = request.form
    error = None
    owners: list[tuple[int, str]] = []
    if request.method == "POST":
        kind = form.get("kind", "")
        unit = _unit(community_id, form.get("unit", "")) if form.get("unit") else None
        owner_id = form.get("owner_id", type=int)
        try:
            if current_user.role != "committee":
                raise FormError(_("Only committee members submit and decide reviews."))
            if kind not in KIND_LABELS:
                raise FormError(_("Choose what kind of person this is."))
            if kind != "developer" and unit is None:
                raise FormError(_("Enter the unit as building-number, e.g. 1-101."))
            if kind in ("guardian", "legal_representative"):
                owners = _unit_owners(community_id, unit)
                if owner_id is None and len(owners) == 1:
                    owner_id = owners[0][0]
                if owner_id not in {o for o, _n in owners}:
                    raise FormError(_("Choose which owner of the unit is represented."))
            upload = request.files.get("evidence")
            content = upload.read(queue.MAX_EVIDENCE_BYTES + 1) if upload else b""
            if vault.sniff(content) is None or len(content) > queue.MAX_EVIDENCE_BYTES:
                raise FormError(_("Attach the evidence (PDF, JPEG or PNG, at most 10 MB)."))
            r = queue.submit(db(), staff=member(), community_id=community_id, kind=kind,
                             person=queue.Person(form.get("name", ""), form.get("id_type", ""),
                                                 form.get("id_number", "")),
                             hasher=services.hasher(), cipher=services.pii(),
                             unit_id=unit.id if unit else None, owner_id=owner_id,
                             replace=form.get("replace", "on") == "on")
            queue.attach_evidence(db(), r, staff=member(), filename=upload.filename or "evidence",
                                  mime=vault.sniff(content), content=content,
                                  cipher=services.pii())
            db().commit()
            flash(_("Submitted. Two other committee members must now approve it."), "ok")
            return redirect(url_for("committee.review_detail", reference=r.reference))
        except FormError as exc:
            db().rollback()
            error = str(exc)
        except IdentityError as exc:
            db().rollback()
            error = review_refusal(exc)
    return render_template("committee/review_new.html", kinds=KIND_LABELS, error=error,
                           form=form, owners=owners, id_types=ID_TYPE_ZH,
                           community_id=community_id), (400 if error else 200)


@bp.get("/review/<reference>")
@roles_required("committee", "admin")
def review_detail(reference: str):
    r = _request(reference)
    unit = db().get(Unit, r.unit_id) if r.unit_id else None
    me = current_user.staff_id
    decided_by = {d.staff_id for d in r.decisions}
    why_not = None
    if current_user.role != "committee":
        why_not = _("Only committee members decide reviews.")
    elif r.status != "pending":
        why_not = _("This review is already decided.")
    elif r.submitted_by == me:
        why_not = _("You submitted this review; two other members must decide it.")
    elif me in decided_by:
        why_not = _("You have already approved it; another member must approve too.")
    elif not r.evidence:
        why_not = _("No evidence is attached yet.")
    staff = _staff_names({r.submitted_by, *decided_by})
    return render_template(
        "committee/review_detail.html", r=r, unit=unit, kinds=KIND_LABELS, why_not=why_not,
        name=mask_name(queue.person_name(r, services.pii())), staff=staff,
        reasons=REJECT_REASONS, approvals=sum(d.decision == "approve" for d in r.decisions),
        can_withdraw=r.submitted_by == me and r.status == "pending")


@bp.get("/review/<reference>/evidence/<int:evidence_id>")
@roles_required("committee", "admin")
def review_evidence(reference: str, evidence_id: int):
    r = _request(reference)
    ev = db().get(ReviewEvidence, evidence_id)
    if ev is None or ev.request_id != r.id:
        abort(404)
    _name, mime, content = queue.evidence_file(ev, services.pii())
    return Response(content, mimetype=mime, headers={"Cache-Control": "no-store",
                                                     "Content-Disposition": "inline"})


@bp.post("/review/<reference>/<action>")
@roles_required("committee", "admin")
def review_decide(reference: str, action: str):
    r = _request(reference)
    back = redirect(url_for("committee.review_detail", reference=r.reference))
    try:
        staff = member()
        if action == "approve":
            queue.approve(db(), r, staff=staff, hasher=services.hasher(), cipher=services.pii())
            message = _("Approved; the change is applied.") if r.status == "approved" else \
                _("Approval recorded; one more member must approve.")
        elif action == "reject":
            reason = request.form.get("reason", "")
            if reason not in REJECT_REASONS:
                raise FormError(_("Choose why it is rejected."))
            queue.reject(db(), r, staff=staff, reason=reason)
            message = _("Rejected.")
        elif action == "withdraw":
            queue.withdraw(db(), r, staff=staff)
            message = _("Withdrawn.")
        elif action == "evidence":
            upload = request.files.get("evidence")
            content = upload.read(queue.MAX_EVIDENCE_BYTES + 1) if upload else b""
            if vault.sniff(content) is None:
                raise FormError(_("Attach the evidence (PDF, JPEG or PNG, at most 10 MB)."))
            queue.attach_evidence(db(), r, staff=staff, filename=upload.filename or "evidence",
                                  mime=vault.sniff(content), content=content,
                                  cipher=services.pii())
            message = _("Evidence attached.")
        else:
            abort(404)
        db().commit()
        flash(message, "ok")
    except FormError as exc:
        db().rollback()
        flash(str(exc), "error")
    except IdentityError as exc:
        db().rollback()
        flash(review_refusal(exc), "error")
    return back
