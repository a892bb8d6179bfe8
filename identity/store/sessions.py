"""Signed-in sessions, recorded server-side so that signing out really ends them.

The browser's session cookie is signed but stateless: a copy taken before
sign-out would still be accepted.  Each sign-in therefore creates a row here,
identified by the SHA-256 of a random session id that only the cookie holds;
the web layer accepts a cookie only while its row is live (not ended, not
expired).  Signing out, deactivating a staff account or revoking an owner
account ends the rows, and every copy of the cookie stops working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ownervote.db import Base, UTCDateTime, rowcount, utcnow


class SignedInSession(Base):
    __tablename__ = "signed_in_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex of the id
    principal: Mapped[str] = mapped_column(String(40), index=True)  # "s:<staff id>" | "a:<account>"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def start(session: Session, principal: str, lifetime: dt.timedelta,
          now: dt.datetime | None = None) -> str:
    """Record a new session of ``principal``; return its id (for the cookie only)."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    session.add(SignedInSession(id_hash=_hash(session_id), principal=principal, created_at=now,
                                expires_at=now + lifetime))
    session.flush()
    return session_id


def is_live(session: Session, principal: str, session_id: str,
            now: dt.datetime | None = None) -> bool:
    """Is ``session_id`` a session of ``principal`` that was not ended and has not expired?"""
    if not session_id or len(session_id) > 100:
        return False
    row = session.get(SignedInSession, _hash(session_id))
    if row is None or row.principal != principal or row.ended_at is not None:
        return False
    return (now or utcnow()) < row.expires_at


def end(session: Session, session_id: str, reason: str = "signed_out",
        now: dt.datetime | None = None) -> None:
    row = session.get(SignedInSession, _hash(session_id)) if session_id else None
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = now or utcnow(), reason


def end_all(session: Session, principal: str, reason: str,
            now: dt.datetime | None = None) -> int:
    """End every live session of ``principal`` (account deactivated or revoked)."""
    result = session.execute(
        update(SignedInSession)
        .where(SignedInSession.principal == principal, SignedInSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
    )
    return rowcount(result)


def live_count(session: Session, principal: str, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    return len(session.scalars(
        select(SignedInSession.id_hash).where(
            SignedInSession.principal == principal, SignedInSession.ended_at.is_(None),
            SignedInSession.expires_at > now)
    ).all())
