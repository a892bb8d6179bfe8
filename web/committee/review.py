"""The review queue (identity.store.review): people the registry does not show yet, with evidence,
approved by two committee members other than the one who submitted."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from identity.errors import IdentityError, ReviewError, ReviewProblem
from identity.masking import mask_name
from identity.vocab import ID_TYPE_ZH
from ownervote.services import reviews
from ownervote.services.errors import NotFound
from web import instance
from web.access import require_manage, roles_required
from web.committee import bp, vault
from web.committee.console import communities, member
from web.committee.forms import FormError
from web.database import db
from web.numbers import whole_number

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


#: identity's review refusals (identity.errors.ReviewProblem) in the member's language
REVIEW_PROBLEMS = {
    ReviewProblem.NOT_COMMITTEE: _l(
        "Only committee members submit and decide reviews."),
    ReviewProblem.UNKNOWN_KIND: _l(
        "Choose what kind of review this is."),
    ReviewProblem.PERSON_ID: _l(
        "The ID number is not valid for the ID type chosen."),
    ReviewProblem.NAME_REQUIRED: _l(
        "Enter the person's name."),
    ReviewProblem.DEVELOPER_ID: _l(
        "A developer is identified by its unified social credit code (统一社会信用代码)."),
    ReviewProblem.NATURAL_PERSON: _l(
        "A guardian or legal representative is a person: enter a personal ID."),
    ReviewProblem.NO_ROSTER: _l(
        "Import the community's registry extract first."),
    ReviewProblem.UNIT_REQUIRED: _l(
        "Enter a unit of this community, as building-number."),
    ReviewProblem.UNIT_NOT_IN_ROSTER: _l(
        "That unit or owner is not in the current roster."),
    ReviewProblem.OWNER_NOT_IN_ROSTER: _l(
        "That unit or owner is not in the current roster."),
    ReviewProblem.ORGANISATION_OWNER: _l(
        "A legal representative acts for an organisation that owns a unit."),
    ReviewProblem.NATURAL_OWNER: _l(
        "A guardian acts for an owner who is a person."),
    ReviewProblem.EVIDENCE_CLOSED: _l(
        "This review is decided: no more evidence can be attached."),
    ReviewProblem.EVIDENCE_SIZE: _l(
        "Attach a file of at most 10 MB."),
    ReviewProblem.EVIDENCE_DAMAGED: _l(
        "The stored evidence does not match its hash; tell the administrator."),
    ReviewProblem.ALREADY_DECIDED: _l(
        "This review is already decided."),
    ReviewProblem.SUBMITTER_DECIDES: _l(
        "You submitted this review; two other members must decide it."),
    ReviewProblem.DECIDED_BY_YOU: _l(
        "You have already decided this review."),
    ReviewProblem.NO_EVIDENCE: _l(
        "No evidence is attached yet."),
    ReviewProblem.NOT_SUBMITTER: _l(
        "Only the member who submitted a pending review can withdraw it."),
    ReviewProblem.UNIT_CHANGED: _l(
        "The unit changed in the roster since this was submitted; submit it again."),
    ReviewProblem.NO_ROSTER_CHANGE: _l(
        "This kind of review does not change the roster."),
    ReviewProblem.NO_DEVELOPER_UNIT: _l(
        "No developer-held unit without an owner is left to assign."),
    ReviewProblem.UNIT_REGISTERED: _l(
        "This unit is registered: its buyer verifies from the registry instead."),
}


def review_refusal(exc: IdentityError) -> str:
    """identity's refusal, by its code, in the member's language."""
    if isinstance(exc, ReviewError):
        return str(REVIEW_PROBLEMS[exc.problem])
    return _("Nothing was saved: check the fields and try again.")


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


def _request(reference: str):
    """The review if the signed-in member may manage its community; 404 otherwise."""
    try:
        r = reviews.find(db(), reference)
    except NotFound:
        abort(404)
    require_manage(r.community_id)
    return r


def _evidence() -> reviews.Evidence:
    """The uploaded evidence file, of a type the vault accepts (FormError otherwise)."""
    upload = request.files.get("evidence")
    content = upload.read(reviews.MAX_EVIDENCE_BYTES + 1) if upload else b""
    mime = vault.sniff(content)
    if upload is None or mime is None or len(content) > reviews.MAX_EVIDENCE_BYTES:
        raise FormError(_("Attach the evidence (PDF, JPEG or PNG, at most 10 MB)."))
    return reviews.Evidence(upload.filename or "evidence", mime, content)


@bp.get("/review")
@roles_required("committee", "admin")
def review_queue():
    community_id = _community_id()
    pending = reviews.pending(db(), community_id)
    decided = reviews.decided(db(), community_id)
    units = reviews.unit_labels(db(), [r.unit_id for r in [*pending, *decided]])
    staff = reviews.staff_names(db(), {r.submitted_by for r in [*pending, *decided]})
    alerts = reviews.repeated_failed_matches(db(), community_id, cipher=instance.pii())
    return render_template("committee/review_list.html", pending=pending, decided=decided,
                           units=units, staff=staff, kinds=KIND_LABELS,
                           community_id=community_id, alerts=alerts)


@bp.route("/review/new", methods=["GET", "POST"])
@roles_required("committee", "admin")
def review_new():
    community_id = _community_id()
    form = request.form
    error = None
    owners: list[tuple[int, str]] = []
    if request.method == "POST":
        kind = form.get("kind", "")
        unit = reviews.find_unit(db(), community_id, form.get("unit", "")) \
            if form.get("unit") else None
        owner_id = form.get("owner_id", type=whole_number)
        try:
            if kind not in KIND_LABELS:
                raise FormError(_("Choose what kind of person this is."))
            if kind != "developer" and unit is None:
                raise FormError(_("Enter the unit as building-number, e.g. 1-101."))
            if kind in ("guardian", "legal_representative"):
                assert unit is not None  # refused above: only a developer change names none
                owners = reviews.unit_owners(db(), community_id, unit.id, cipher=instance.pii())
                if owner_id is None and len(owners) == 1:
                    owner_id = owners[0][0]
                if owner_id not in {o for o, _n in owners}:
                    raise FormError(_("Choose which owner of the unit is represented."))
            r = reviews.submit(db(), staff_id=member().id, community_id=community_id, kind=kind,
                               person=reviews.Person(form.get("name", ""),
                                                     form.get("id_type", ""),
                                                     form.get("id_number", "")),
                               unit_id=unit.id if unit else None, owner_id=owner_id,
                               replace=form.get("replace", "on") == "on", evidence=_evidence(),
                               hasher=instance.hasher(), cipher=instance.pii())
            flash(_("Submitted. Two other committee members must now approve it."), "ok")
            return redirect(url_for("committee.review_detail", reference=r.reference))
        except FormError as exc:
            error = str(exc)
        except IdentityError as exc:
            error = review_refusal(exc)
    return render_template("committee/review_new.html", kinds=KIND_LABELS, error=error,
                           form=form, owners=owners, id_types=ID_TYPE_ZH,
                           community_id=community_id), (400 if error else 200)


@bp.get("/review/<reference>")
@roles_required("committee", "admin")
def review_detail(reference: str):
    r = _request(reference)
    me = current_user.staff_id
    decided_by = {d.staff_id for d in r.decisions}
    problem = reviews.decision_refusal(db(), r.reference, staff_id=me) if me else \
        ReviewProblem.NOT_COMMITTEE
    why_not = None if problem is None else str(REVIEW_PROBLEMS[problem])
    return render_template(
        "committee/review_detail.html", r=r, unit=reviews.unit(db(), r.unit_id),
        kinds=KIND_LABELS, why_not=why_not,
        name=mask_name(reviews.person_name(r, cipher=instance.pii())),
        staff=reviews.staff_names(db(), {r.submitted_by, *decided_by}),
        reasons=REJECT_REASONS, approvals=sum(d.decision == "approve" for d in r.decisions),
        can_withdraw=r.submitted_by == me and r.status == "pending")


@bp.get("/review/<reference>/evidence/<int:evidence_id>")
@roles_required("committee", "admin")
def review_evidence(reference: str, evidence_id: int):
    r = _request(reference)
    try:
        _name, mime, content = reviews.evidence_file(db(), r.reference, evidence_id,
                                                     cipher=instance.pii())
    except NotFound:
        abort(404)
    return Response(content, mimetype=mime, headers={"Cache-Control": "no-store",
                                                     "Content-Disposition": "inline"})


@bp.post("/review/<reference>/<action>")
@roles_required("committee", "admin")
def review_decide(reference: str, action: str):
    r = _request(reference)
    back = redirect(url_for("committee.review_detail", reference=r.reference))
    if action not in ("approve", "reject", "withdraw", "evidence"):
        abort(404)
    try:
        staff_id = member().id
        if action == "approve":
            r = reviews.approve(db(), r.reference, staff_id=staff_id, hasher=instance.hasher(),
                                cipher=instance.pii())
            message = _("Approved; the change is applied.") if r.status == "approved" else \
                _("Approval recorded; one more member must approve.")
        elif action == "reject":
            reason = request.form.get("reason", "")
            if reason not in REJECT_REASONS:
                raise FormError(_("Choose why it is rejected."))
            reviews.reject(db(), r.reference, staff_id=staff_id, reason=reason)
            message = _("Rejected.")
        elif action == "withdraw":
            reviews.withdraw(db(), r.reference, staff_id=staff_id)
            message = _("Withdrawn.")
        else:
            reviews.attach_evidence(db(), r.reference, staff_id=staff_id, evidence=_evidence(),
                                    cipher=instance.pii())
            message = _("Evidence attached.")
        flash(message, "ok")
    except FormError as exc:
        flash(str(exc), "error")
    except IdentityError as exc:
        flash(review_refusal(exc), "error")
    return back
