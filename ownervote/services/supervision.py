"""What street-office supervisors read: districts, their communities and assemblies.

Read-only.  For each assembly past its draft: its participation so far (heads, and
their area, with at least one ballot not voided, from the ledger) and, once counted,
the result of each item.  Who may read which district is the web layer's decision
(:mod:`web.supervisor`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.store.models import Community
from ledger.errors import LedgerError
from ledger.kinds import BALLOT, PAPER_BALLOT
from ledger.store.models import LedgerEntry
from ledger.store.publish import published
from voting.areas import from_hundredths
from voting.store.models import Assembly


@dataclass(frozen=True)
class Participation:
    heads: int
    total_heads: int
    area: Decimal
    total_area: Decimal


@dataclass(frozen=True)
class AssemblyOverview:
    assembly: Assembly
    participation: Participation | None  # None: the log cannot say (yet)
    results: list[tuple[str, dict[str, Any]]]  # (item title, item result), once counted


def districts(session: Session) -> list[tuple[str, int]]:
    """Every district and how many communities it has ("" for communities without one)."""
    rows = session.execute(select(Community.district, func.count(Community.id))
                           .group_by(Community.district).order_by(Community.district)).all()
    return [(d or "", n) for d, n in rows]


def communities(session: Session, district: str) -> list[Community]:
    """The communities of ``district``, by name."""
    return list(session.scalars(
        select(Community).where(Community.district == district).order_by(Community.name)))


def participation(session: Session, assembly_id: int) -> Participation | None:
    """Heads (and their area) with at least one ballot that was not voided."""
    try:
        _adef, roster = published(session, assembly_id)
    except LedgerError:
        return None
    voted = set(session.scalars(select(func.distinct(LedgerEntry.head_id)).where(
        LedgerEntry.assembly_id == assembly_id,
        LedgerEntry.kind.in_((BALLOT, PAPER_BALLOT)),
        LedgerEntry.voided_by.is_(None))))
    counted = [roster.heads[h] for h in voted if h in roster.heads]
    total = roster.total
    return Participation(len(counted), total.heads,
                         from_hundredths(sum(h.hundredths for h in counted)), total.area)


def results(a: Assembly) -> list[tuple[str, dict[str, Any]]]:
    """(item title, item result) once counted; the stored tally in agenda order."""
    items = (a.result or {}).get("items") or []
    titles = {str(i.position): i.title for i in a.items}
    return [(titles.get(str(r.get("id")), str(r.get("id"))), r) for r in items]


def assemblies(session: Session,
               community_ids: Iterable[int]) -> dict[int, list[AssemblyOverview]]:
    """community id -> its assemblies past the draft, newest first, with what they show."""
    out: dict[int, list[AssemblyOverview]] = {cid: [] for cid in community_ids}
    for a in session.scalars(select(Assembly).where(
            Assembly.community_id.in_(list(out)), Assembly.status != "draft")
            .order_by(Assembly.id.desc())):
        out[a.community_id].append(AssemblyOverview(a, participation(session, a.id),
                                                    results(a)))
    return out
