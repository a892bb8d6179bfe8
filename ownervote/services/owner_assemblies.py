"""The assemblies an owner may see: the published ones, their log, documents and participation.

A draft is the committee's business; from the notice on (:data:`VISIBLE`) an
assembly, its agenda, its documents and how many owners took part so far are
public.  Participation is recomputed by the rules engine (:func:`voting.tally.tally`
over the ledger's counted ballots) and cached per log state (the Merkle root), so a
page view costs a dictionary lookup while nobody votes.  It reports how many owners
and how much area took part per item, never anyone's choice.

Everything here only reads (no unit of work); a missing or unpublished assembly
raises :class:`~ownervote.services.errors.NotFound` (``"assembly"``), a published
one without a log ``NotFound("log", …)``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.store.models import Community
from ledger.store import writer
from ledger.store.models import LogHead
from ledger.store.publish import assembly_settings, published
from ledger.store.sales import sales_now
from ownervote.services.errors import NotFound
from voting.areas import from_hundredths
from voting.sales import participation_with_sales
from voting.settings import AssemblySettings
from voting.store.models import Assembly, Document

#: Assemblies an owner can see (a draft is the committee's business).
VISIBLE = ("noticed", "open", "closed", "tallied", "announced")
#: The quorum line of the law: two thirds of the area and of the owners took part.
QUORUM = Fraction(2, 3)


def visible(session: Session, assembly_id: int) -> Assembly:
    """The assembly if owners may see it (published), else ``NotFound("assembly")``."""
    a = session.get(Assembly, assembly_id)
    if a is None or a.status not in VISIBLE:
        raise NotFound("assembly", assembly_id)
    return a


def visible_list(session: Session) -> list[Assembly]:
    """Every published assembly, newest first."""
    return list(session.scalars(select(Assembly).where(Assembly.status.in_(VISIBLE))
                                .order_by(Assembly.id.desc())))


def log_of(session: Session, assembly_id: int) -> LogHead | None:
    """The assembly's log head (None before the notice)."""
    return session.get(LogHead, assembly_id)


def require_log(session: Session, assembly_id: int) -> LogHead:
    """The assembly's log head, else ``NotFound("log")``."""
    head = log_of(session, assembly_id)
    if head is None:
        raise NotFound("log", assembly_id)
    return head


def settings_of(a: Assembly) -> AssemblySettings:
    """The assembly's settings (revote policy, proxies, scope …)."""
    return assembly_settings(a)


def community(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def accepting_ballots(a: Assembly, head: LogHead | None, now_ms: int) -> bool:
    """Does the assembly take online ballots at ``now_ms`` (open, in its log's window)?"""
    return (a.status == "open" and head is not None and not head.closed
            and head.opens_at_ms <= now_ms < head.closes_at_ms)


# -- documents ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentInfo:
    """An attached document, without its bytes."""

    id: int
    filename: str
    mime: str
    sha256: str
    size: int


def documents(session: Session, assembly_id: int) -> list[DocumentInfo]:
    rows = session.execute(
        select(Document.id, Document.filename, Document.mime, Document.sha256,
               func.length(Document.content))
        .where(Document.assembly_id == assembly_id).order_by(Document.id)).all()
    return [DocumentInfo(*row) for row in rows]


def document(session: Session, assembly_id: int, document_id: int) -> Document:
    """A published assembly's document (with its bytes), else ``NotFound``."""
    a = visible(session, assembly_id)
    doc = session.get(Document, document_id)
    if doc is None or doc.assembly_id != a.id:
        raise NotFound("document", document_id)
    return doc


# -- participation ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemParticipation:
    item_id: str
    total_area: Decimal
    total_heads: int
    area: Decimal
    heads: int

    @property
    def area_share(self) -> Fraction:
        return Fraction(self.area) / Fraction(self.total_area) if self.total_area else Fraction(0)

    @property
    def heads_share(self) -> Fraction:
        return Fraction(self.heads, self.total_heads) if self.total_heads else Fraction(0)

    @property
    def quorum_met(self) -> bool:
        # the law's test, on exact numbers: 3·P ≥ 2·T in both dimensions
        return 3 * self.area >= 2 * self.total_area and 3 * self.heads >= 2 * self.total_heads


_cache: OrderedDict[tuple[int, bytes], tuple[ItemParticipation, ...]] = OrderedDict()
_lock = threading.Lock()


def participation(session: Session, assembly_id: int) -> tuple[ItemParticipation, ...]:
    """Per item: total heads and area of its scope, and those that took part so far."""
    head = log_of(session, assembly_id)
    if head is None:
        return ()
    key = (assembly_id, bytes(head.root))
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    adef, roster = published(session, assembly_id)
    sales = sales_now(session, assembly_id)  # units sold out of multi-unit heads
    # who took part only (voting.aggregate's public half): a secret vote's ballots are sealed
    parts = participation_with_sales(roster, list(adef.items.values()),
                                     writer.counted_votes(session, assembly_id),
                                     sales.sales if sales else ())
    out = tuple(ItemParticipation(item.item_id, from_hundredths(total.area), total.heads,
                                  from_hundredths(part.area), part.heads)
                for item, total, part in parts)
    with _lock:
        _cache[key] = out
        while len(_cache) > 64:
            _cache.popitem(last=False)
    return out
