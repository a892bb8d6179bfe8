"""Who is signed in: owners (verified against the registry) and staff.

Flask-Login keeps one principal per session, identified as ``a:<owner account
id>`` (the verified person acting for an owner) or ``s:<staff id>``, followed
by the id of a server-side session record (kept by
:mod:`ownervote.services.sign_in`).  The cookie is accepted only while that
record is live, so signing out (or an administrator deactivating the account)
ends every copy of the cookie, and the owners' remember-me cookie dies with it.

Staff (committee, supervisors, auditors, administrators) sign in with a
password and a TOTP second factor.  The session is cleared at every sign-in
so a session planted before sign-in is never promoted (session fixation).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from typing import Any

import pyotp
from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from identity.credentials import totp_purpose
from identity.errors import Throttled
from ownervote.services import sign_in as signing_in
from web import instance
from web.access import public
from web.database import db
from web.extensions import limiter
from web.templating import localtime

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
    session_id: str = ""  # the server-side session record this sign-in belongs to

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_id}"


def _account_principal(account: Any, session_id: str = "") -> Principal:
    """``account``: an owner account (as :mod:`ownervote.services` return it)."""
    return Principal(id=signing_in.account_principal(account.id), role="owner",
                     account_id=account.id, owner_id=account.owner_id, session_id=session_id,
                     display_label=_("Owner") + f" {account.phone_masked}")


def _staff_principal(user: Any, session_id: str = "") -> Principal:
    """``user``: a staff account (as :mod:`ownervote.services` return it)."""
    return Principal(id=signing_in.staff_principal(user.id), role=user.role, staff_id=user.id,
                     community_id=user.community_id, district=user.district,
                     session_id=session_id, display_label=user.username)


def load_user(user_id: str) -> Principal | None:
    """Flask-Login's loader: ``<kind>:<id>:<session id>`` with a live session record."""
    kind, _sep, rest = user_id.partition(":")
    raw, _sep, session_id = rest.partition(":")
    if not raw.isdigit():
        return None
    found = signing_in.signed_in(db(), f"{kind}:{raw}", session_id)
    if found is None:
        return None
    if kind == signing_in.ACCOUNT:
        return _account_principal(found, session_id)
    return _staff_principal(found, session_id)


def _replacing() -> str | None:
    """The sign-in this browser had (switching account: it ends with the new one)."""
    return current_user.session_id if current_user.is_authenticated else None


def _log_in(principal: Principal) -> None:
    """Rotate the cookie session (never promote one planted before sign-in), then sign in."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(principal, remember=principal.role == "owner",
               duration=signing_in.lifetime(principal.id))


def sign_in(principal: Principal) -> None:
    """Record the sign-in server-side (committed), rotate the session, then sign in."""
    principal.session_id = signing_in.start(db(), principal.id, replacing=_replacing())
    _log_in(principal)


def sign_in_account(account: Any) -> None:
    """Sign in the person just verified (owner, guardian or legal representative)."""
    sign_in(_account_principal(account))


@bp.post("/sign-out")
@public
def sign_out():
    if current_user.is_authenticated:
        signing_in.sign_out(db(), current_user.session_id, actor=actor())
    lang = session.get("lang")
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    if lang:
        session["lang"] = lang
    return redirect(url_for("public.home"))


@bp.route("/staff/sign-in", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def staff_sign_in():
    error = None
    if request.method == "POST":
        try:
            signed = signing_in.staff_sign_in(
                db(), cipher=instance.pii(), hasher=instance.hasher(),
                username=request.form.get("username", ""),
                password=request.form.get("password", ""), code=request.form.get("code", ""),
                replacing=_replacing())
        except Throttled as exc:
            signed = None
            error = _("Too many failed sign-ins with this user name. Try again after "
                      "%(time)s, or ask an administrator to reset its one-time codes.",
                      time=localtime(exc.retry_at))
        if signed is not None:
            _log_in(_staff_principal(signed.user, signed.session_id))
            return redirect(staff_home(signed.user.role))
        error = error or _("The user name, password or one-time code is not right.")
    # A refused sign-in is an answer on the page (200), like every form here.
    return render_template("auth/staff_sign_in.html", error=error, demo_codes=demo_codes())


def actor() -> str:
    """The current user as an audit-trail actor (never a name)."""
    if not current_user.is_authenticated:
        return "anonymous"
    if current_user.staff_id is not None:
        return f"staff:{current_user.staff_id}"
    return f"account-id:{current_user.account_id}"


@bp.app_context_processor
def _templates() -> dict:
    def staff_home_url() -> str:
        return staff_home(current_user.role) if current_user.is_authenticated else "/"

    return {"staff_home_url": staff_home_url}


def staff_home(role: str) -> str:
    """Where each role lands after signing in (its console if that page exists)."""
    endpoint = {"committee": "committee.index", "supervisor": "supervisor.district",
                "auditor": "auditor.index", "admin": "admin.index"}.get(role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("public.home")


# -- the demo's sign-in hint ------------------------------------------------------------------

def demo_mode() -> bool:
    """OWNERVOTE_DEMO=1 outside production (never in production, whatever the variable says)."""
    if instance.settings().production:
        return False
    flag = current_app.config.get("OWNERVOTE_DEMO")
    if flag is None:
        flag = os.environ.get("OWNERVOTE_DEMO") == "1"
    return bool(flag)


@dataclass(frozen=True)
class DemoCode:
    role: str
    username: str
    code: str  # "" while the next usable code is not accepted yet (seconds_left: until it is)
    seconds_left: int


def demo_codes() -> list[DemoCode]:
    """The demo staff accounts' current one-time codes (the demo prints their secrets anyway).

    Only in demo mode, only for the accounts the demo created (by their user
    names), and only while they are active.
    """
    if not demo_mode():
        return []
    from ownervote.demo import STAFF

    names = {username: role for role, username, _password in STAFF}
    users = signing_in.active_staff(db(), names)
    out = []
    now = time.time()
    for user in sorted(users, key=lambda u: list(names).index(u.username)):
        if user.totp_secret_enc is None:
            continue
        secret = instance.pii().decrypt_text(user.totp_secret_enc,
                                             purpose=totp_purpose(user.username))
        totp = pyotp.TOTP(secret)
        # Each code signs in once: after a sign-in, hint the next step's (also accepted).
        current = totp.timecode(dt.datetime.fromtimestamp(now, dt.UTC))
        step = max(current, (user.last_totp_step or 0) + 1)
        if step > current + 1:
            # two sign-ins within one step used this step's and the next one's code: the
            # one after is not accepted yet (one step of drift), so count down to it instead
            out.append(DemoCode(user.role, user.username, "",
                                int(totp.interval * (step - 1) - now) + 1))
            continue
        out.append(DemoCode(user.role, user.username, totp.generate_otp(step),
                            int(totp.interval * (step + 1) - now)))
    return out
