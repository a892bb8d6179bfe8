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

import pyotp
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import func, select

from identity.credentials import MIN_PASSWORD, ROLES, StaffError
from identity.store.models import Community, StaffUser
from identity.store.staff import create_staff, deactivate_staff
from ledger.errors import LedgerError
from ledger.store.checkpoints import add_witness, witness_verifier
from ledger.store.models import Cosignature, Witness
from ownervote.audit import record
from voting.store.models import Assembly
from web import services
from web.access import roles_required
from web.auth import actor
from web.database import db
from web.qr import qr_svg

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {
    "committee": lazy_gettext("Committee member"),
    "supervisor": lazy_gettext("Street-office supervisor"),
    "auditor": lazy_gettext("Auditor"),
    "admin": lazy_gettext("Administrator"),
}


@bp.get("/")
@roles_required("admin")
def index():
    counts = dict(db().execute(select(Assembly.community_id, func.count(Assembly.id))
                               .group_by(Assembly.community_id)).all())
    communities = db().scalars(select(Community).order_by(Community.district, Community.name))
    return render_template("admin/index.html", communities=list(communities), counts=counts)


@bp.get("/staff")
@roles_required("admin")
def staff():
    users = db().scalars(select(StaffUser).order_by(StaffUser.deactivated_at.is_not(None),
                                                    StaffUser.role, StaffUser.username))
    names = dict(db().execute(select(Community.id, Community.name)).all())
    return render_template("admin/staff.html", users=list(users), names=names,
                           role_labels=ROLE_LABELS)


def _form_errors(form) -> dict[str, str]:
    errors = {}
    username = form.get("username", "").strip()
    if not username or len(username) > 80:
        errors["username"] = _("Enter a user name of 1 to 80 characters.")
    elif db().scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        errors["username"] = _("This user name is taken.")
    if len(form.get("password", "")) < MIN_PASSWORD:
        errors["password"] = _("The password needs at least %(n)d characters.", n=MIN_PASSWORD)
    role = form.get("role", "")
    if role not in ROLES:
        errors["role"] = _("Choose a role.")
    if role == "committee" and _community(form) is None:
        errors["community"] = _("A committee member belongs to one community: choose it.")
    if role == "supervisor" and not form.get("district", "").strip():
        errors["district"] = _("Enter the district (street office) this supervisor oversees.")
    return errors


def _community(form) -> Community | None:
    raw = form.get("community", "")
    return db().get(Community, int(raw)) if raw.isdigit() else None


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required("admin")
def new_staff():
    communities = list(db().scalars(select(Community).order_by(Community.name)))
    district_names = sorted({c.district for c in communities if c.district})
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _form_errors(request.form)
        if not errors:
            form = request.form
            try:
                user, secret = create_staff(
                    db(), services.pii(), username=form["username"], password=form["password"],
                    role=form["role"], community=_community(form),
                    district=form.get("district", "").strip() or None, actor=actor())
                db().commit()
            except StaffError:
                db().rollback()
                errors["form"] = _("The account could not be created; check the fields.")
            else:
                uri = pyotp.TOTP(secret).provisioning_uri(name=user.username,
                                                          issuer_name="ownervote")
                # Shown once, in this response only (never cached, never shown again).
                return render_template("admin/staff_created.html", user=user, secret=secret,
                                       qr=qr_svg(uri, label=_("QR code for the authenticator "
                                                              "app")),
                                       role_labels=ROLE_LABELS)
    return render_template("admin/staff_new.html", communities=communities, errors=errors,
                           districts=district_names, roles=ROLES, role_labels=ROLE_LABELS)


@bp.post("/staff/<int:staff_id>/deactivate")
@roles_required("admin")
def deactivate(staff_id: int):
    user = db().get(StaffUser, staff_id)
    if user is None:
        abort(404)
    if user.id == current_user.staff_id:
        flash(_("You cannot deactivate your own account."), "error")
    elif deactivate_staff(db(), user, actor=actor()):
        db().commit()
        flash(_("%(name)s can no longer sign in.", name=user.username), "ok")
    return redirect(url_for("admin.staff"))


@bp.route("/witnesses", methods=["GET", "POST"])
@roles_required("admin")
def witnesses():
    error = None
    if request.method == "POST":
        vkey = request.form.get("vkey", "").strip()
        try:
            w = add_witness(db(), vkey)
            record(db(), actor(), "witness.register", f"witness:{w.name}")
            db().commit()
        except (LedgerError, ValueError):
            db().rollback()
            error = _("This is not a witness key. Paste the line printed by "
                      "“ownervote keys witness-new” (name+key id+key, a cosignature/v1 key); "
                      "a name already registered must keep its key.")
        else:
            flash(_("Witness %(name)s registered.", name=w.name), "ok")
            return redirect(url_for("admin.witnesses"))
    counts = dict(db().execute(select(Cosignature.witness_id, func.count(Cosignature.id))
                               .group_by(Cosignature.witness_id)).all())
    rows = [(w, witness_verifier(w).vkey, counts.get(w.id, 0))
            for w in db().scalars(select(Witness).order_by(Witness.name))]
    return render_template("admin/witnesses.html", witnesses=rows, error=error)
