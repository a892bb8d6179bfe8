"""Staff credentials: scrypt password hashes and TOTP codes (pure; no storage).

Passwords are stored as scrypt hashes (``cryptography``'s Scrypt KDF, with a
random salt); the TOTP second factor's secret is encrypted like other
personal data (:func:`totp_purpose` binds it to its account).  Comparisons are
constant-time.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from enum import StrEnum

import pyotp
import pyotp.utils
from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from identity.errors import IdentityError

ROLES = ("committee", "supervisor", "auditor", "admin")
_N, _R, _P = 2**15, 8, 1
MIN_PASSWORD = 10


class StaffProblem(StrEnum):
    """What is wrong with a new staff account (each names the form field it is about)."""

    USERNAME_LENGTH = "username_length"
    USERNAME_TAKEN = "username_taken"
    PASSWORD_SHORT = "password_short"
    ROLE = "role"
    COMMUNITY_MISSING = "community_missing"
    DISTRICT_MISSING = "district_missing"

    @property
    def field(self) -> str:
        return {"username_length": "username", "username_taken": "username",
                "password_short": "password", "role": "role",
                "community_missing": "community", "district_missing": "district"}[self.value]


class StaffError(IdentityError):
    """A staff account could not be created or changed; the message says why.

    ``problem`` is set when the refusal is about a new account's fields.
    """

    def __init__(self, message: str, problem: StaffProblem | None = None) -> None:
        self.problem = problem
        super().__init__(message)


_PROBLEM_TEXT = {
    StaffProblem.USERNAME_LENGTH: "the user name must be 1-80 characters",
    StaffProblem.PASSWORD_SHORT: f"the password must be at least {MIN_PASSWORD} characters",
    StaffProblem.ROLE: f"role must be one of {', '.join(ROLES)}",
    StaffProblem.COMMUNITY_MISSING: "a committee member belongs to one community",
    StaffProblem.DISTRICT_MISSING: "a supervisor needs the district (street office) they "
                                   "supervise",
    StaffProblem.USERNAME_TAKEN: "the user name {username!r} is taken",
}


def new_staff_problems(username: str, password: str, role: str, *, has_community: bool,
                       district: str | None) -> list[StaffProblem]:
    """Everything wrong with a new account's fields, in form order (empty: nothing).

    ``district``: the supervisor's district, given or that of their community.  Whether
    the user name is taken is the store's to say (:data:`StaffProblem.USERNAME_TAKEN`).
    """
    problems = []
    name = username.strip()
    if not name or len(name) > 80:
        problems.append(StaffProblem.USERNAME_LENGTH)
    if len(password) < MIN_PASSWORD:
        problems.append(StaffProblem.PASSWORD_SHORT)
    if role not in ROLES:
        problems.append(StaffProblem.ROLE)
    if role == "committee" and not has_community:
        problems.append(StaffProblem.COMMUNITY_MISSING)
    if role == "supervisor" and not (district or "").strip():
        problems.append(StaffProblem.DISTRICT_MISSING)
    return problems


def refusal(problem: StaffProblem, username: str = "") -> StaffError:
    """The error for one problem, in plain English (the web words it per field)."""
    return StaffError(_PROBLEM_TEXT[problem].format(username=username.strip()), problem)


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


def matching_step(totp: pyotp.TOTP, code: str, now: dt.datetime) -> int | None:
    """The time step whose code ``code`` is, allowing one step of clock drift either way."""
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        # pyotp's comparison is constant-time
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
