"""Platform administrators: communities, staff accounts, witnesses.

* Staff accounts are created with a role and, for a committee member, their
  community or, for a supervisor, their district.  The TOTP secret is shown
  exactly once, as a QR code for the authenticator app (and as text), in the
  response to the creating request: it is stored only encrypted and no page
  shows it again.  Accounts are deactivated, never deleted (the audit trail
  and ledger entries refer to them); deactivation ends their sessions.
* Witnesses (e.g. a street office running ``ownervote keys witness-new``)
  are registered by their cosignature/v1 verifier key.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from identity.credentials import MIN_PASSWORD, ROLES, StaffError, StaffProblem
from ledger.errors import LedgerError
from ownervote.services import assemblies, checkpoints
from ownervote.services import staff as staff_service
from ownervote.services.errors import NotFound
from web import instance
from web.access import roles_required
from web.auth import actor
from web.database import db
from web.numbers import whole_number_or_none
from web.qr import qr_svg

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {
    "committee": lazy_gettext("Committee member"),
    "supervisor": lazy_gettext("Street-office supervisor"),
    "auditor": lazy_gettext("Auditor"),
    "admin": lazy_gettext("Administrator"),
}


#: What the account form says for each problem the domain finds (identity.credentials).
PROBLEMS = {
    StaffProblem.USERNAME_LENGTH: lazy_gettext("Enter a user name of 1 to 80 characters."),
    StaffProblem.USERNAME_TAKEN: lazy_gettext("This user name is taken."),
    StaffProblem.PASSWORD_SHORT: lazy_gettext("The password needs at least %(n)d characters.",
                                              n=MIN_PASSWORD),
    StaffProblem.ROLE: lazy_gettext("Choose a role."),
    StaffProblem.COMMUNITY_MISSING: lazy_gettext(
        "A committee member belongs to one community: choose it."),
    StaffProblem.DISTRICT_MISSING: lazy_gettext(
        "Enter the district (street office) this supervisor oversees."),
}


def _problem_text(problem: StaffProblem) -> str:
    return str(PROBLEMS[problem])


@bp.get("/")
@roles_required("admin")
def index():
    return render_template("admin/index.html",
                           communities=assemblies.communities_by_district(db()),
                           counts=assemblies.assembly_counts(db()))


@bp.get("/staff")
@roles_required("admin")
def staff():
    return render_template("admin/staff.html", users=staff_service.list_accounts(db()),
                           role_labels=ROLE_LABELS)


def _fields(form) -> dict:
    raw = form.get("community", "")
    return {"username": form.get("username", ""), "password": form.get("password", ""),
            "role": form.get("role", ""), "community_id": whole_number_or_none(raw),
            "district": form.get("district", "").strip() or None}


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required("admin")
def new_staff():
    communities = assemblies.all_communities(db())
    district_names = sorted({c.district for c in communities if c.district})
    errors: dict[str, str] = {}
    if request.method == "POST":
        fields = _fields(request.form)
        for problem in staff_service.problems(db(), **fields):
            errors.setdefault(problem.field, _problem_text(problem))
        if not errors:
            try:
                created = staff_service.create_by_id(db(), instance.settings(), **fields,
                                                     actor=actor())
            except StaffError as exc:  # e.g. the name was taken meanwhile
                if exc.problem is None:
                    raise
                errors[exc.problem.field] = _problem_text(exc.problem)
            else:
                # Shown once, in this response only (never cached, never shown again).
                return render_template(
                    "admin/staff_created.html", user=created, secret=created.secret,
                    qr=qr_svg(created.otpauth_uri,
                              label=_("QR code for the authenticator app")),
                    role_labels=ROLE_LABELS)
    return render_template("admin/staff_new.html", communities=communities, errors=errors,
                           districts=district_names, roles=ROLES, role_labels=ROLE_LABELS)


@bp.post("/staff/<int:staff_id>/deactivate")
@roles_required("admin")
def deactivate(staff_id: int):
    if staff_id == current_user.staff_id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.staff"))
    try:
        account = staff_service.deactivate_by_id(db(), staff_id, actor=actor())
    except NotFound:
        abort(404)
    flash(_("%(name)s can no longer sign in.", name=account.username), "ok")
    return redirect(url_for("admin.staff"))


@bp.route("/witnesses", methods=["GET", "POST"])
@roles_required("admin")
def witnesses():
    error = None
    if request.method == "POST":
        try:
            name = checkpoints.register_witness(db(), request.form.get("vkey", ""),
                                                actor=actor())
        except LedgerError:
            error = _("This is not a witness key. Paste the line printed by "
                      "“ownervote keys witness-new” (name+key id+key, a cosignature/v1 key); "
                      "a name already registered must keep its key.")
        else:
            flash(_("Witness %(name)s registered.", name=name), "ok")
            return redirect(url_for("admin.witnesses"))
    rows = [(w, w.vkey, w.cosignatures) for w in checkpoints.witnesses(db())]
    return render_template("admin/witnesses.html", witnesses=rows, error=error)
