"""Staff accounts: committee members, street-office supervisors, auditors, administrators.

Stored with a scrypt password hash and an encrypted TOTP secret
(:mod:`identity.credentials`); each change is audited.  Runs in the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.credentials import (
    StaffError,
    StaffProblem,
    check_password,
    hash_password,
    matching_step,
    new_staff_problems,
    refusal,
    totp_purpose,
)
from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from identity.store import sessions, throttle
from identity.store.models import Community, StaffUser
from ownervote.audit import record


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(
        select(StaffUser.id).where(StaffUser.username == username.strip())) is not None


def create_staff(session: Session, cipher: PiiCipher, *, username: str, password: str, role: str,
                 community: Community | None = None, district: str | None = None,
                 totp_secret: str | None = None, actor: str = "system") -> tuple[StaffUser, str]:
    """Create an account; returns it with its TOTP secret (shown once, to set up the app)."""
    username = username.strip()
    problems = new_staff_problems(
        username, password, role, has_community=community is not None,
        district=district or (community.district if community is not None else None))
    if not problems and username_taken(session, username):
        problems.append(StaffProblem.USERNAME_TAKEN)
    if problems:
        raise refusal(problems[0], username)
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
    step = matching_step(pyotp.TOTP(secret), code, now or dt.datetime.now(dt.UTC))
    # A code works once: one seen by a shoulder-surfer or a proxy cannot be replayed.
    if step is None or (user.last_totp_step is not None and step <= user.last_totp_step):
        return None
    user.last_totp_step = step
    return user


def sign_in_key(hasher: KeyedHasher, username: str) -> str:
    """The key failed sign-ins under ``username`` are counted by (``staff.account``): a keyed
    hash of the name as typed, whether or not such an account exists (so a lock-out says
    nothing about which names do)."""
    return hasher.opaque("staff-account", username.strip())


def deactivate_staff(session: Session, user: StaffUser, *, actor: str,
                     now: dt.datetime | None = None) -> bool:
    """Stop ``user`` from signing in and end their sessions; False if already deactivated.

    The account is kept (audit events and ledger entries refer to it).
    """
    if user.deactivated_at is not None:
        return False
    user.deactivated_at = now or dt.datetime.now(dt.UTC)
    sessions.end_all(session, f"s:{user.id}", "deactivated", now=user.deactivated_at)
    record(session, actor, "staff.deactivate", f"staff:{user.id}", role=user.role)
    return True


def find_staff(session: Session, username: str) -> StaffUser | None:
    """The account with this user name (surrounding spaces ignored), or ``None``."""
    return session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()


def reset_totp(session: Session, cipher: PiiCipher, user: StaffUser, *, actor: str,
               totp_secret: str | None = None, now: dt.datetime | None = None,
               hasher: KeyedHasher | None = None) -> str:
    """Give ``user`` a new TOTP secret (returned, to be shown once) and end their sessions.

    For a lost or exposed authenticator: codes of the old secret stop working at once, and
    so does every session signed in with them.  A deactivated account is refused.  With
    ``hasher``, a running sign-in lock-out of the account (``staff.account``) ends too.
    """
    if user.deactivated_at is not None:
        raise StaffError(f"the account {user.username!r} is deactivated")
    secret = totp_secret or pyotp.random_base32()
    user.totp_secret_enc = cipher.encrypt_text(secret, purpose=totp_purpose(user.username))
    user.last_totp_step = None  # the new secret's codes count from now
    sessions.end_all(session, f"s:{user.id}", "totp_reset", now=now)
    if hasher is not None:  # the new codes work at once, even during a sign-in lock-out
        throttle.release(session, throttle.STAFF_ACCOUNT, sign_in_key(hasher, user.username))
    record(session, actor, "staff.reset_totp", f"staff:{user.id}", role=user.role)
    return secret
