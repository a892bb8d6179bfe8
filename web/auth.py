"""Who is signed in: owners (verified against the registry) and staff.

Flask-Login keeps one principal per session, identified as ``a:<owner
account id>`` (the verified person acting for an owner) or ``s:<staff id>``.  Staff sign in with a password and a TOTP second factor.
The session is cleared at every sign-in so a session id planted before
sign-in is never promoted (session fixation).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from identity.models import OwnerAccount, StaffUser
from identity.staff import authenticate
from ownervote.audit import record
from web import services
from web.database import db
from web.extensions import limiter

bp = Blueprint("auth", __name__)

STAFF_ROLES = ("committee", "supervisor", "auditor", "admin")


@dataclass
class Principal:
    """The signed-in user as the views see it."""

    id: str
    role: str  # owner | committee | supervisor | auditor | admin
    account_id: int | None = None  # OwnerAccount: the verified person acting for an owner
    owner_id: int | None = None
    staff_id: int | None = None
    community_id: int | None = None
    district: str | None = None
    display_label: str = ""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.id


def _account_principal(account: OwnerAccount) -> Principal:
    return Principal(id=f"a:{account.id}", role="owner", account_id=account.id,
                     owner_id=account.owner_id,
                     display_label=_("Owner") + f" {account.phone_masked}")


def _staff_principal(user: StaffUser) -> Principal:
    return Principal(id=f"s:{user.id}", role=user.role, staff_id=user.id,
                     community_id=user.community_id, district=user.district,
                     display_label=user.username)


def load_user(user_id: str) -> Principal | None:
    kind, _sep, raw = user_id.partition(":")
    if not raw.isdigit():
        return None
    if kind == "a":
        account = db().get(OwnerAccount, int(raw))
        if account is None or account.revoked_at is not None:
            return None
        return _account_principal(account)
    if kind == "s":
        user = db().get(StaffUser, int(raw))
        return _staff_principal(user) if user is not None else None
    return None


def sign_in(principal: Principal) -> None:
    """Rotate the session, then sign in."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(principal, remember=principal.role == "owner")


def sign_in_account(account: OwnerAccount) -> None:
    """Sign in the person just verified (owner, guardian or legal representative)."""
    sign_in(_account_principal(account))


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.clear()
    return redirect(url_for("public.home"))


@bp.route("/staff/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def staff_sign_in():
    error = None
    if request.method == "POST":
        user = authenticate(db(), services.pii(), request.form.get("username", ""),
                            request.form.get("password", ""), request.form.get("code", ""))
        if user is not None:
            record(db(), f"staff:{user.id}", "staff.sign_in", f"staff:{user.id}")
            db().commit()
            sign_in(_staff_principal(user))
            return redirect(_staff_home(user.role))
        error = _("The user name, password or one-time code is not right.")
    return render_template("auth/staff_sign_in.html", error=error), (401 if error else 200)


def _staff_home(role: str) -> str:
    return url_for("public.home")


