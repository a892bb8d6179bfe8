"""The audit trail: who did what, when (never personal data in clear)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ownervote.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # e.g. "owner:12", "staff:3", "system"
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


def record(session: Session, actor: str, action: str, subject: str = "", **detail: Any) -> None:
    """Add an audit event to the session's transaction (committed with the action)."""
    session.add(AuditEvent(actor=actor, action=action, subject=subject, detail=detail))
