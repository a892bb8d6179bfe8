"""Signing in and out: staff with a password and TOTP, owners after verification.

Each sign-in is a server-side session record (:mod:`identity.store.sessions`); the
cookie carries its random id and is accepted only while the record is live, so signing
out (or an administrator deactivating the account) ends every copy of the cookie.

A principal is named ``a:<owner account id>`` (the verified person acting for an owner)
or ``s:<staff id>``.  The web layer keeps Flask-Login's side (:mod:`web.auth`); this
module reads and writes the records, each change one unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from identity.store import sessions, throttle
from identity.store.models import OwnerAccount, Ownership, RosterVersion, StaffUser
from identity.store.staff import authenticate, sign_in_key
from ownervote.audit import record
from ownervote.db import utcnow
from ownervote.services.unit_of_work import writing

# How long a sign-in lasts: staff for a working day, owners for the vote (remember-me).
STAFF_SESSION = dt.timedelta(hours=12)
OWNER_SESSION = dt.timedelta(days=30)

ACCOUNT, STAFF = "a", "s"


def account_principal(account_id: int) -> str:
    return f"{ACCOUNT}:{account_id}"


def staff_principal(staff_id: int) -> str:
    return f"{STAFF}:{staff_id}"


def lifetime(principal: str) -> dt.timedelta:
    """How long a sign-in of ``principal`` lasts."""
    return OWNER_SESSION if principal.startswith(ACCOUNT + ":") else STAFF_SESSION


def signed_in(session: Session, principal: str, session_id: str, *,
              now: dt.datetime | None = None) -> OwnerAccount | StaffUser | None:
    """Who ``principal`` is, if ``session_id`` is a live session of theirs and their
    account is still in force (an owner account not revoked, a staff account active)."""
    kind, _sep, raw = principal.partition(":")
    if not raw.isdigit() or not sessions.is_live(session, principal, session_id, now):
        return None
    if kind == ACCOUNT:
        account = session.get(OwnerAccount, int(raw))
        if account is None or account.revoked_at is not None:
            return None
        return account
    if kind == STAFF:
        user = session.get(StaffUser, int(raw))
        if user is None or user.deactivated_at is not None:
            return None
        return user
    return None


def start(session: Session, principal: str, *, replacing: str | None = None,
          now: dt.datetime | None = None) -> str:
    """Record a new sign-in of ``principal`` (ending the session ``replacing``, the one of
    whoever was signed in on this browser); its id, for the cookie only."""
    with writing(session):
        if replacing:
            sessions.end(session, replacing, "replaced", now=now)
        return sessions.start(session, principal, lifetime(principal), now=now)


@dataclass(frozen=True)
class StaffSignIn:
    user: StaffUser
    session_id: str


def staff_sign_in(session: Session, *, cipher: PiiCipher, hasher: KeyedHasher, username: str,
                  password: str, code: str, replacing: str | None = None,
                  now: dt.datetime | None = None) -> StaffSignIn | None:
    """A staff member's sign-in, if the password and an unused current one-time code are
    right (the code's time step is recorded, so it cannot be used again); else None, and
    only the failure is counted.

    Failures count per user name as typed (``staff.account``, 10 in 15 minutes), besides
    the web layer's limit per client address: a name that reached the count is refused for
    30 minutes, right password or not (:class:`~identity.errors.Throttled`, nothing
    counted), unless an administrator resets its one-time codes
    (``ownervote staff reset-totp``), which ends the lock-out.
    """
    now = now or utcnow()
    key = sign_in_key(hasher, username)
    with writing(session):
        throttle.check(session, throttle.STAFF_ACCOUNT, key, now)
        user = authenticate(session, cipher, username, password, code, now=now)
        if user is None:
            throttle.fail(session, throttle.STAFF_ACCOUNT, key, now)
            return None
        throttle.reset(session, throttle.STAFF_ACCOUNT, key)
        principal = staff_principal(user.id)
        record(session, f"staff:{user.id}", "staff.sign_in", f"staff:{user.id}")
        if replacing:
            sessions.end(session, replacing, "replaced", now=now)
        session_id = sessions.start(session, principal, lifetime(principal), now=now)
    return StaffSignIn(user, session_id)


def sign_out(session: Session, session_id: str, *, actor: str,
             now: dt.datetime | None = None) -> None:
    """End the sign-in ``session_id`` (every copy of its cookie stops working)."""
    with writing(session):
        sessions.end(session, session_id, "signed_out", now=now)
        record(session, actor, "sign_out")


def active_staff(session: Session, usernames: Iterable[str]) -> list[StaffUser]:
    """The staff accounts of these user names that may sign in (not deactivated)."""
    return list(session.scalars(select(StaffUser).where(
        StaffUser.username.in_(list(usernames)), StaffUser.deactivated_at.is_(None))))


def owns_in(session: Session, owner_id: int, community_id: int,
            roster_version_id: int | None = None) -> bool:
    """Is ``owner_id`` an owner in this community?

    In the roster frozen for an assembly (``roster_version_id``) or in the community's
    latest roster (a buyer registered since the vote was called).
    """
    latest = (select(RosterVersion.id).where(RosterVersion.community_id == community_id)
              .order_by(RosterVersion.version.desc()).limit(1).scalar_subquery())
    version = Ownership.roster_version_id == latest
    if roster_version_id is not None:
        version = or_(version, Ownership.roster_version_id == roster_version_id)
    found = session.scalar(
        select(Ownership.id)
        .join(RosterVersion, RosterVersion.id == Ownership.roster_version_id)
        .where(Ownership.owner_id == owner_id,
               RosterVersion.community_id == community_id,
               version)
        .limit(1))
    return found is not None
