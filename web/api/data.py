"""What owners' pages and the API show of an assembly: agenda, documents, participation.

The figures come from :mod:`ownervote.services.owner_assemblies` (participation is
recomputed by the rules engine and cached per log state); this module only shapes
them as JSON.  Participation reports how many owners and how much area took part per
item — never anyone's choice.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from ownervote.services import casting, owner_assemblies, secret_assemblies
from ownervote.services.owner_assemblies import QUORUM, ItemParticipation
from voting.matters import Matter, Threshold
from web.api.messages import REVOTE, matter_label, threshold_label
from web.api.protocol import iso, iso_ms
from web.database import db

__all__ = ["QUORUM", "accepting_ballots", "assembly_json", "item_json", "participation"]

accepting_ballots = owner_assemblies.accepting_ballots


def participation(a) -> tuple[ItemParticipation, ...]:
    """Per item: total heads and area of its scope, and those that took part so far."""
    return owner_assemblies.participation(db(), a.id)


def participation_json(p: ItemParticipation) -> dict[str, Any]:
    return {
        "item": p.item_id,
        "total": {"area": f"{p.total_area:.2f}", "heads": p.total_heads},
        "participating": {"area": f"{p.area:.2f}", "heads": p.heads},
        "quorum_line": "2/3",
        "quorum_met": p.quorum_met,
    }


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


def documents(a) -> list[dict[str, Any]]:
    return [{"id": d.id, "filename": d.filename, "mime": d.mime, "sha256": d.sha256,
             "size": d.size,
             "url": url_for("owner.document", assembly_id=a.id, document_id=d.id)}
            for d in owner_assemblies.documents(db(), a.id)]


def log_json(head) -> dict[str, Any] | None:
    if head is None:
        return None
    return {"origin": head.origin, "log_key": head.log_vkey, "size": head.size,
            "closed": head.closed}


def revote_json(settings) -> dict[str, str]:
    return {"policy": settings.revote.value, "explanation": str(REVOTE[settings.revote.value])}


def assembly_json(a, *, now_ms: int) -> dict[str, Any]:
    head = owner_assemblies.log_of(db(), a.id)
    return {
        "id": a.id,
        "title": a.title,
        "description": a.description or "",
        "status": a.status,
        "accepting_ballots": accepting_ballots(a, head, now_ms),
        "notice_at": iso(a.notice_at),
        "opens_at": iso(a.opens_at) if head is None else iso_ms(head.opens_at_ms),
        "closes_at": iso(a.closes_at) if head is None else iso_ms(head.closes_at_ms),
        "revote": revote_json(owner_assemblies.settings_of(a)),
        "items": [item_json(it) for it in a.items],
        "documents": documents(a),
        "participation": [participation_json(p) for p in participation(a)],
        "log": log_json(head),
        "links": {
            "page": url_for("owner.assembly", assembly_id=a.id, _external=True),
            "checkpoint": url_for("api.checkpoint", assembly_id=a.id),
        },
        # a secret assembly's key, public like the notice that prints it
        "ballot_secrecy": secret_assemblies.ballot_secrecy(a),
        "election_key": None if head is None else casting.election_key_hex(db(), a.id),
    }
