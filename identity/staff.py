"""Staff accounts: committee members, street-office supervisors, auditors, administrators.

Passwords are stored as scrypt hashes (``cryptography``'s Scrypt KDF, with a
random salt); the TOTP second factor's secret is encrypted like other
personal data.  Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import datetime as dt
import os

import pyotp
import pyotp.utils
from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import IdentityError
from identity.models import Community, StaffUser
from identity.pii import PiiCipher
from ownervote.audit import record

ROLES = ("committee", "supervisor", "auditor", "admin")
_N, _R, _P = 2**15, 8, 1
MIN_PASSWORD = 10


class StaffError(IdentityError):
    """A staff account could not be created or changed; the message says why."""


def _kdf(salt: bytes, n: int = _N, r: int = _R, p: int = _P) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = _kdf(salt).derive(password.encode("utf-8"))
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


# A well-formed hash of a random password: unknown user names cost the same work.
_DUMMY = hash_password(base64.b64encode(os.urandom(12)).decode())


def check_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not ``stored`` exists; never raises on bad input."""
    try:
        scheme, n, r, p, salt, digest = (stored or _DUMMY).split("$")
        if scheme != "scrypt":
            return False
        _kdf(base64.urlsafe_b64decode(salt), int(n), int(r), int(p)).verify(
            password.encode("utf-8"), base64.urlsafe_b64decode(digest))
        return stored is not None
    except (InvalidKey, ValueError):
        return False


def totp_purpose(username: str) -> str:
    return f"staff.totp:{username}"


def create_staff(session: Session, cipher: PiiCipher, *, username: str, password: str, role: str,
                 community: Community | None = None, district: str | None = None,
                 totp_secret: str | None = None, actor: str = "system") -> tuple[StaffUser, str]:
    """Create an account; returns it with its TOTP secret (shown once, to set up the app)."""
    username = username.strip()
    if not username or len(username) > 80:
        raise StaffError("the user name must be 1-80 characters")
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must be at least {MIN_PASSWORD} characters")
    if role == "committee" and community is None:
        raise StaffError("a committee member belongs to one community")
    if role == "supervisor" and not (district or (community and community.district)):
        raise StaffError("a supervisor needs the district (street office) they supervise")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise StaffError(f"the user name {username!r} is taken")
    secret = totp_secret or pyotp.random_base32()
    user = StaffUser(
        username=username, password_hash=hash_password(password), role=role,
        community_id=community.id if community is not None and role == "committee" else None,
        district=district if role == "supervisor" else None,
        totp_secret_enc=cipher.encrypt_text(secret, purpose=totp_purpose(username)))
    session.add(user)
    session.flush()
    record(session, actor, "staff.create", f"staff:{user.id}", role=role)
    return user, secret


def authenticate(session: Session, cipher: PiiCipher, username: str, password: str,
                 code: str, *, now: dt.datetime | None = None) -> StaffUser | None:
    """The account if the password and an unused current TOTP code are right, else ``None``.

    Records the code's time step on the account (the caller commits).
    """
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    password_ok = check_password(user.password_hash if user else None, password)
    if user is None or not password_ok or user.totp_secret_enc is None \
            or user.deactivated_at is not None:
        return None
    secret = cipher.decrypt_text(user.totp_secret_enc, purpose=totp_purpose(user.username))
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    step = _matching_step(pyotp.TOTP(secret), code, now or dt.datetime.now(dt.UTC))
    # A code works once: one seen by a shoulder-surfer or a proxy cannot be replayed.
    if step is None or (user.last_totp_step is not None and step <= user.last_totp_step):
        return None
    user.last_totp_step = step
    return user


def _matching_step(totp: pyotp.TOTP, code: str, now: dt.datetime) -> int | None:
    """The time step whose code ``code`` is, allowing one step of clock drift either way."""
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        # pyotp's comparison is constant-time
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def deactivate_staff(session: Session, user: StaffUser, *, actor: str,
                     now: dt.datetime | None = None) -> bool:
    """Stop ``user`` from signing in and end their sessions; False if already deactivated.

    The account is kept (audit events and ledger entries refer to it).
    """
    from identity import sessions

    if user.deactivated_at is not None:
        return False
    user.deactivated_at = now or dt.datetime.now(dt.UTC)
    sessions.end_all(session, f"s:{user.id}", "deactivated", now=user.deactivated_at)
    record(session, actor, "staff.deactivate", f"staff:{user.id}", role=user.role)
    return True
