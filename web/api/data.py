"""What owners' pages and the API read about an assembly: agenda, documents, participation.

Participation is recomputed by the rules engine (``voting.tally`` over the
ledger's counted ballots) and cached per log state (the Merkle root), so a
page view costs a dictionary lookup while nobody votes.  It reports how many
owners and how much area took part per item — never anyone's choice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from ledger.store import writer
from ledger.store.models import LogHead
from ledger.store.publish import assembly_settings, published
from voting.matters import Matter, Threshold
from voting.store.models import Assembly, Document
from voting.tally import tally
from web.api.common import iso, iso_ms
from web.api.messages import REVOTE, matter_label, threshold_label
from web.database import db

QUORUM = Fraction(2, 3)


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

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item_id,
            "total": {"area": f"{self.total_area:.2f}", "heads": self.total_heads},
            "participating": {"area": f"{self.area:.2f}", "heads": self.heads},
            "quorum_line": "2/3",
            "quorum_met": self.quorum_met,
        }


_cache: OrderedDict[tuple[int, bytes], tuple[ItemParticipation, ...]] = OrderedDict()
_lock = threading.Lock()


def participation(a: Assembly) -> tuple[ItemParticipation, ...]:
    """Per item: total heads and area of its scope, and those that took part so far."""
    head = db().get(LogHead, a.id)
    if head is None:
        return ()
    key = (a.id, bytes(head.root))
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    adef, roster = published(db(), a.id)
    result = tally(roster, list(adef.items.values()), writer.counted_votes(db(), a.id),
                   adef.settings)
    out = tuple(ItemParticipation(r.item.item_id, r.total.area, r.total.heads,
                                  r.participating.area, r.participating.heads)
                for r in result.items)
    with _lock:
        _cache[key] = out
        while len(_cache) > 64:
            _cache.popitem(last=False)
    return out


def is_special(matter: int) -> bool:
    return Matter(matter).threshold is Threshold.SPECIAL


def item_json(item) -> dict[str, Any]:
    return {
        "id": str(item.position),
        "title": item.title,
        "description": item.description or "",
        "kind": item.kind,
        "matter": item.matter,
        "matter_label": matter_label(item.matter),
        "threshold": "special" if is_special(item.matter) else "ordinary",
        "threshold_label": threshold_label(item.matter),
        "candidates": list(item.candidates) if item.kind == "election" else None,
        "seats": item.seats if item.kind == "election" else None,
        "buildings": list(item.scope_buildings) if item.scope_buildings else None,
    }


def documents(a: Assembly) -> list[dict[str, Any]]:
    rows = db().execute(
        select(Document.id, Document.filename, Document.mime, Document.sha256,
               func.length(Document.content))
        .where(Document.assembly_id == a.id).order_by(Document.id)).all()
    return [{"id": d_id, "filename": name, "mime": mime, "sha256": sha, "size": size,
             "url": url_for("owner.document", assembly_id=a.id, document_id=d_id)}
            for d_id, name, mime, sha, size in rows]


def log_json(head: LogHead | None) -> dict[str, Any] | None:
    if head is None:
        return None
    return {"origin": head.origin, "log_key": head.log_vkey, "size": head.size,
            "closed": head.closed}


def accepting_ballots(a: Assembly, head: LogHead | None, now_ms: int) -> bool:
    return (a.status == "open" and head is not None and not head.closed
            and head.opens_at_ms <= now_ms < head.closes_at_ms)


def assembly_json(a: Assembly, *, now_ms: int) -> dict[str, Any]:
    head = db().get(LogHead, a.id)
    settings = assembly_settings(a)
    return {
        "id": a.id,
        "title": a.title,
        "description": a.description or "",
        "status": a.status,
        "accepting_ballots": accepting_ballots(a, head, now_ms),
        "notice_at": iso(a.notice_at),
        "opens_at": iso(a.opens_at) if head is None else iso_ms(head.opens_at_ms),
        "closes_at": iso(a.closes_at) if head is None else iso_ms(head.closes_at_ms),
        "revote": {"policy": settings.revote.value,
                   "explanation": str(REVOTE[settings.revote.value])},
        "items": [item_json(it) for it in a.items],
        "documents": documents(a),
        "participation": [p.to_json() for p in participation(a)],
        "log": log_json(head),
        "links": {
            "page": url_for("owner.assembly", assembly_id=a.id, _external=True),
            "checkpoint": url_for("api.checkpoint", assembly_id=a.id),
        },
    }
