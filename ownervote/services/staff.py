"""Staff accounts: create, list, deactivate, reset the second factor (``ownervote staff``).

Each change is one unit of work (:func:`ownervote.services.unit_of_work.writing`) around
:mod:`identity.store.staff`, which audits it.  A new account's TOTP secret, and the
new secret after a reset, is returned once with its ``otpauth://`` URI for the
authenticator app; it is stored only encrypted and nothing shows it again.

Listing shows what the administrators' staff screen shows (user name, role,
community or district, created, deactivated) and no personal data.

Refusals are :class:`identity.credentials.StaffError` (bad user name, role,
password, missing community or district, taken name, deactivated account), with
:class:`UnknownStaff` for a user name that does not exist and
:class:`ownervote.services.registry.UnknownCommunity` for a community.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.credentials import StaffError, StaffProblem, new_staff_problems
from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from identity.store import staff as store
from identity.store.models import Community, StaffUser
from ownervote.services.errors import NotFound
from ownervote.services.registry import community_named
from ownervote.services.unit_of_work import end_read, writing

ISSUER = "ownervote"


class UnknownStaff(StaffError):
    """No staff account has this user name."""


@dataclass(frozen=True)
class StaffAccount:
    """One account as the staff screen shows it."""

    id: int
    username: str
    role: str
    community: str | None  # a committee member's community
    district: str | None  # a supervisor's district
    created_at: dt.datetime
    deactivated_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.deactivated_at is None

    def to_json(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "community": self.community,
                "district": self.district, "created_at": self.created_at.isoformat(),
                "active": self.active,
                "deactivated_at": self.deactivated_at.isoformat() if self.deactivated_at
                else None}


@dataclass(frozen=True)
class NewSecret:
    """A TOTP secret to show once, with the URI an authenticator app scans or opens."""

    username: str
    role: str
    secret: str

    @property
    def otpauth_uri(self) -> str:
        return pyotp.TOTP(self.secret).provisioning_uri(name=self.username, issuer_name=ISSUER)


def _user(session: Session, username: str) -> StaffUser:
    user = store.find_staff(session, username)
    if user is None:
        raise UnknownStaff(f"no staff account named {username.strip()!r}")
    return user


def create(session: Session, settings: Any, *, username: str, password: str, role: str,
           community: str | None = None, district: str | None = None,
           actor: str = "cli") -> NewSecret:
    """Create an account (a committee member names their community, a supervisor their
    district or a community in it); return its TOTP secret to show once."""
    district = (district or "").strip() or None
    if community is not None and role not in ("committee", "supervisor"):
        raise StaffError(f"only committee members and supervisors belong to a community, "
                         f"not a {role}")
    if district is not None and role != "supervisor":
        raise StaffError(f"only supervisors oversee a district, not a {role}")
    with writing(session):
        place = community_named(session, community) if community is not None else None
        if role == "supervisor" and district is None and place is not None:
            district = place.district  # the street office of that community
        user, secret = store.create_staff(
            session, PiiCipher.from_settings(settings), username=username, password=password,
            role=role, community=place, district=district, actor=actor)
        created = NewSecret(user.username, user.role, secret)
    return created


def list_accounts(session: Session) -> list[StaffAccount]:
    """Every account, active ones first, by role and user name."""
    names = dict(session.execute(select(Community.id, Community.name)).all())
    rows = session.scalars(select(StaffUser).order_by(StaffUser.deactivated_at.is_not(None),
                                                      StaffUser.role, StaffUser.username)).all()
    accounts = [
        StaffAccount(u.id, u.username, u.role,
                     names.get(u.community_id)
                     if u.role == "committee" and u.community_id is not None else None,
                     u.district if u.role == "supervisor" else None,
                     u.created_at, u.deactivated_at)
        for u in rows]
    end_read(session)
    return accounts


def deactivate(session: Session, username: str, *, actor: str = "cli") -> bool:
    """Stop the account from signing in and end its sessions; False if it already was."""
    with writing(session):
        return store.deactivate_staff(session, _user(session, username), actor=actor)


def reset_totp(session: Session, settings: Any, username: str, *,
               actor: str = "cli") -> NewSecret:
    """A new TOTP secret for the account (shown once); its sessions end, and so does a
    sign-in lock-out of the account."""
    with writing(session):
        user = _user(session, username)
        secret = store.reset_totp(session, PiiCipher.from_settings(settings), user, actor=actor,
                                  hasher=KeyedHasher.from_settings(settings))
        renewed = NewSecret(user.username, user.role, secret)
    return renewed


# -- the administrators' pages --------------------------------------------------------------


def problems(session: Session, *, username: str, password: str, role: str,
             community_id: int | None, district: str | None) -> list[StaffProblem]:
    """Everything wrong with a new account's fields (the form shows each by its field)."""
    found = new_staff_problems(username, password, role,
                               has_community=_community(session, community_id) is not None,
                               district=district)
    if StaffProblem.USERNAME_LENGTH not in found and store.username_taken(session, username):
        found.insert(0, StaffProblem.USERNAME_TAKEN)
    end_read(session)
    return found


def _community(session: Session, community_id: int | None) -> Community | None:
    return session.get(Community, community_id) if community_id is not None else None


def create_by_id(session: Session, settings: Any, *, username: str, password: str, role: str,
                 community_id: int | None, district: str | None, actor: str) -> NewSecret:
    """:func:`create` for a form that names the community by its id."""
    with writing(session):
        user, secret = store.create_staff(
            session, PiiCipher.from_settings(settings), username=username, password=password,
            role=role, community=_community(session, community_id),
            district=(district or "").strip() or None, actor=actor)
        created = NewSecret(user.username, user.role, secret)
    return created


def deactivate_by_id(session: Session, staff_id: int, *, actor: str) -> StaffAccount:
    """Deactivate the account ``staff_id`` (NotFound if none); what it is now."""
    with writing(session):
        user = session.get(StaffUser, staff_id)
        if user is None:
            raise NotFound("staff account", staff_id)
        store.deactivate_staff(session, user, actor=actor)
        account = StaffAccount(user.id, user.username, user.role, None, None, user.created_at,
                               user.deactivated_at)
    return account
