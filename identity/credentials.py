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

import pyotp
import pyotp.utils
from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from identity.errors import IdentityError

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


def matching_step(totp: pyotp.TOTP, code: str, now: dt.datetime) -> int | None:
    """The time step whose code ``code`` is, allowing one step of clock drift either way."""
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        # pyotp's comparison is constant-time
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
