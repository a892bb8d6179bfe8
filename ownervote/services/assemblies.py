"""Assemblies as the command line sees them: the list with their logs, publishing a log.

:func:`publish_log` creates an assembly's log (entry 0: agenda, settings, roster
commitment, and a first checkpoint) in one unit of work, signed with the current log
key.  The assembly's proceedings (notice, open, close, tally, announce) are the
committee's and the timer's, not these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.store.models import LogHead
from ledger.store.publish import publish_assembly
from ownervote.services.keys import log_signer
from ownervote.services.unit_of_work import end_read, writing
from voting.store.models import Assembly


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def list_assemblies(session: Session) -> list[dict[str, Any]]:
    """Every assembly with its status and its log's origin, size and state."""
    rows = []
    for a, head in session.execute(
        select(Assembly, LogHead)
        .outerjoin(LogHead, LogHead.assembly_id == Assembly.id)
        .order_by(Assembly.id)
    ):
        rows.append({
            "id": a.id,
            "title": a.title,
            "status": a.status,
            "community_id": a.community_id,
            "opens_at": _iso(a.opens_at),
            "closes_at": _iso(a.closes_at),
            "origin": head.origin if head else None,
            "log_size": head.size if head else None,
            "log_closed": head.closed if head else None,
        })
    end_read(session)
    return rows


def publish_log(session: Session, settings: Any, assembly_id: int) -> bytes:
    """Create the assembly's log; the hash of its entry 0."""
    signer = log_signer(settings)
    with writing(session):
        out = publish_assembly(session, assembly_id, signer, settings.base_url)
        entry_hash = bytes(out.entry_hash)
    return entry_hash
