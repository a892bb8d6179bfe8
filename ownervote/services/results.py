"""The result after the count: the announcement (公告) and the objections raised against it.

Counting and announcing are steps of the proceedings
(:func:`ownervote.services.proceedings.tally`, :func:`~ownervote.services.proceedings.announce`).
Objections are recorded once the result is announced (refused with
:class:`~voting.errors.TransitionRefused` ``objections_after_announcement`` before);
their text is sealed with the PII cipher in the audit log (only the committee reads it),
one unit of work each.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.pii import PiiCipher
from ledger.store.publish import assembly_settings
from ownervote.audit import AuditEvent, record
from ownervote.services import figures
from ownervote.services.assemblies import community
from ownervote.services.errors import NotFound
from ownervote.services.unit_of_work import writing
from voting import lifecycle
from voting.lifecycle import Status
from voting.settings import AssemblySettings
from voting.store.models import Assembly

OBJECTION_ACTION = "assembly.objection"


def announced_assembly(session: Session, assembly_id: int) -> Assembly:
    """An assembly whose result is announced (NotFound otherwise: nothing public yet)."""
    a = session.get(Assembly, assembly_id)
    if a is None or a.status != Status.ANNOUNCED.value:
        raise NotFound("announcement", assembly_id)
    return a


def finally_announced(session: Session, assembly_id: int) -> Assembly:
    """An assembly whose final announcement is issued (NotFound otherwise)."""
    a = announced_assembly(session, assembly_id)
    if a.final_announced_at is None:
        raise NotFound("final announcement", assembly_id)
    return a


@dataclass(frozen=True)
class AnnouncementFacts:
    """What the announcement says beyond the assembly's own fields and result."""

    community_name: str
    voters: list[tuple[str, Decimal]]  # unit label and area of each unit whose owner voted
    settings: AssemblySettings


def announcement_facts(session: Session, a: Assembly) -> AnnouncementFacts:
    place = community(session, a.community_id)
    s = figures.snapshot(session, a.id)
    return AnnouncementFacts(community_name=place.name if place else "",
                             voters=figures.voter_units(s), settings=assembly_settings(a))


@dataclass(frozen=True)
class Objection:
    at: dt.datetime
    text: str
    late: bool  # raised after the objection period


def objections(session: Session, assembly_id: int, *, cipher: PiiCipher) -> list[Objection]:
    """The objections recorded for the assembly, oldest first, their text unsealed."""
    rows = session.execute(select(AuditEvent.at, AuditEvent.detail).where(
        AuditEvent.action == OBJECTION_ACTION, AuditEvent.subject == f"assembly:{assembly_id}")
        .order_by(AuditEvent.id))
    out = []
    for at, detail in rows:
        text = cipher.decrypt_text(base64.b64decode(detail["note"]),
                                   purpose=_purpose(assembly_id, detail["ref"]))
        out.append(Objection(at, text, bool(detail.get("late"))))
    return out


def objection_count(session: Session, assembly_id: int) -> int:
    """How many objections were recorded for the assembly (on time or late)."""
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == OBJECTION_ACTION,
        AuditEvent.subject == f"assembly:{assembly_id}")) or 0


def _purpose(assembly_id: int, ref: str) -> str:
    return f"objection.note:{assembly_id}:{ref}"


def record_objection(session: Session, assembly_id: int, *, text: str, cipher: PiiCipher,
                     now: dt.datetime, actor: str) -> Objection:
    """Record an objection the committee received (late ones too, marked as late)."""
    with writing(session):
        a = session.get(Assembly, assembly_id, populate_existing=True)
        if a is None:
            raise NotFound("assembly", assembly_id)
        refused = lifecycle.objection_refusal(a.status)
        if refused is not None:
            raise refused
        ref = secrets.token_hex(8)
        sealed = cipher.encrypt_text(text, purpose=_purpose(a.id, ref))
        late = a.objection_until is not None and now > a.objection_until
        record(session, actor, OBJECTION_ACTION, f"assembly:{a.id}", ref=ref, late=late,
               note=base64.b64encode(sealed).decode("ascii"))
    return Objection(now, text, late)
