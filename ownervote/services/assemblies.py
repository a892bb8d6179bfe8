"""Assemblies as the committee prepares them: drafts, their settings, items and documents.

Also what the console shows around them: the assembly of an id (the view checks who may
manage it), the communities, their buildings and whether a roster was imported, and the
signed-in member.  Every change is one unit of work on a draft; a published notice
freezes the agenda, refused with :class:`~voting.errors.TransitionRefused`
(``frozen_by_notice``, from :func:`voting.lifecycle.editing_refusal`).  The voting
window is set by :func:`ownervote.services.notices.set_window`.

For the command line: :func:`list_assemblies` (every assembly with its log) and
:func:`publish_log` (an assembly's entry 0 and first checkpoint, signed with the
current log key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity.store.models import Building, Community, RosterVersion, StaffUser
from ledger.cosigning import configured_policy
from ledger.store import proceedings
from ledger.store.models import LogHead
from ledger.store.publish import assembly_settings, publish_assembly
from ownervote.services.errors import NotFound, ServiceError
from ownervote.services.keys import log_signer
from ownervote.services.unit_of_work import end_read, writing
from voting import lifecycle
from voting.election import ElectionRuleProblem, election_rule_problem
from voting.items import ItemSpec
from voting.settings import AssemblySettings
from voting.store.models import Assembly, Document, Item
from voting.textlimits import TextField, check_length


class ItemOutsideScope(ServiceError):
    """An item is limited to buildings the assembly's new scope leaves out (``position``)."""

    def __init__(self, position: int) -> None:
        self.position = position
        super().__init__(f"item {position} is limited to buildings outside the new scope")


class ElectionOutsideRules(ServiceError):
    """An election item does not fit the assembly's election settings (``position``,
    ``problem``: :class:`~voting.election.ElectionRuleProblem`; ``seats``, ``candidates``
    and the ``committee_size`` so the message can name the figures)."""

    def __init__(self, position: int, problem: ElectionRuleProblem, *, seats: int,
                 candidates: int, committee_size: int | None) -> None:
        self.position = position
        self.problem = problem
        self.seats = seats
        self.candidates = candidates
        self.committee_size = committee_size
        super().__init__(f"item {position}: {problem.value}")


def check_election_rules(items: list[tuple[int, ItemSpec | Item]],
                         settings: AssemblySettings) -> None:
    """Every election item of ``items`` ((position, item)) fits ``settings``, or
    :class:`ElectionOutsideRules` for the first that does not."""
    for position, it in items:
        if it.kind != "election":
            continue
        seats, candidates = it.seats or 0, len(it.candidates or ())
        problem = election_rule_problem(seats, candidates, settings)
        if problem is not None:
            raise ElectionOutsideRules(position, problem, seats=seats, candidates=candidates,
                                       committee_size=settings.committee_size)


def assembly(session: Session, assembly_id: int) -> Assembly:
    """The assembly (NotFound if there is none); who may see it is the caller's check."""
    a = session.get(Assembly, assembly_id)
    if a is None:
        raise NotFound("assembly", assembly_id)
    return a


def _draft(session: Session, assembly_id: int) -> Assembly:
    """The assembly read again inside the unit; refused unless it is a draft."""
    a = session.get(Assembly, assembly_id, populate_existing=True)
    if a is None:
        raise NotFound("assembly", assembly_id)
    refused = lifecycle.editing_refusal(a.status)
    if refused is not None:
        raise refused
    return a


def settings_of(a: Assembly) -> AssemblySettings:
    """The assembly's settings (scope, notice period, …) as the rules engine reads them."""
    return assembly_settings(a)


def assemblies_of(session: Session, community_ids: list[int]) -> list[Assembly]:
    """The assemblies of these communities, newest first."""
    return list(session.scalars(select(Assembly).where(Assembly.community_id.in_(community_ids))
                                .order_by(Assembly.id.desc())))


def all_communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.name)))


def communities_by_district(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.district, Community.name)))


def assembly_counts(session: Session) -> dict[int, int]:
    """Community id -> how many assemblies it has (any status)."""
    rows = session.execute(select(Assembly.community_id, func.count(Assembly.id))
                           .group_by(Assembly.community_id)).all()
    return {community_id: n for community_id, n in rows}


def community(session: Session, community_id: int | None) -> Community | None:
    return None if community_id is None else session.get(Community, community_id)


def committee_member(session: Session, staff_id: int | None) -> StaffUser | None:
    """The signed-in member's account (None if there is none)."""
    return None if not staff_id else session.get(StaffUser, staff_id)


def building_names(session: Session, community_id: int) -> list[str]:
    """The community's buildings in natural order (2幢 before 10幢)."""
    names = session.scalars(select(Building.name).where(Building.community_id == community_id))
    return sorted(names, key=natural)


def natural(name: str) -> tuple:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 10**9, name)


def has_roster(session: Session, community_id: int) -> bool:
    """Was the community's registry extract imported (the roster decides who votes)?"""
    return session.scalar(select(RosterVersion.id).where(
        RosterVersion.community_id == community_id).limit(1)) is not None


def item_buildings(session: Session, a: Assembly) -> list[str]:
    """The buildings an item of ``a`` may be limited to (its scope, or the community's)."""
    return sorted(settings_of(a).scope_buildings or building_names(session, a.community_id))


def next_position(a: Assembly) -> int:
    return max((i.position for i in a.items), default=0) + 1


def create_draft(session: Session, *, community_id: int, title: str, description: str,
                 settings: AssemblySettings, item: ItemSpec, actor: str) -> Assembly:
    """A new draft with its first item (:class:`ElectionOutsideRules` if it does not fit the
    election settings)."""
    check_election_rules([(1, item)], settings)
    with writing(session):
        return proceedings.create_assembly(session, community_id, title, [item],
                                           description=description, settings=settings,
                                           actor=actor)


def save_settings(session: Session, assembly_id: int, *, title: str, description: str,
                  settings: AssemblySettings) -> Assembly:
    """The draft's title, introduction and settings; items must stay inside the scope."""
    check_length(TextField.ASSEMBLY_TITLE, title, where="assembly")
    check_length(TextField.ASSEMBLY_DESCRIPTION, description, where="assembly")
    with writing(session):
        a = _draft(session, assembly_id)
        scope = settings.scope_buildings
        for it in sorted(a.items, key=lambda i: i.position):
            if scope and it.scope_buildings and not set(it.scope_buildings) <= scope:
                raise ItemOutsideScope(it.position)
        check_election_rules([(it.position, it) for it in a.items], settings)
        data = settings.to_dict()
        a.scope_buildings = data.pop("scope_buildings")
        a.settings = data
        a.title = title
        a.description = description
    return a


def add_item(session: Session, assembly_id: int, *, spec: ItemSpec) -> int:
    """Append an item to the draft's agenda; its position."""
    with writing(session):
        a = _draft(session, assembly_id)
        position = next_position(a)
        spec.check(position)
        check_election_rules([(position, spec)], settings_of(a))
        a.items.append(Item(
            position=position, title=spec.title, description=spec.description,
            matter=spec.matter, kind=spec.kind, seats=spec.seats,
            candidates=list(spec.candidates) if spec.kind == "election" else None,
            scope_buildings=list(spec.scope_buildings) if spec.scope_buildings else None))
    return position


def remove_item(session: Session, assembly_id: int, *, position: int) -> None:
    """Remove an item from the draft; the others are renumbered 1, 2, …"""
    with writing(session):
        a = _draft(session, assembly_id)
        item = next((i for i in a.items if i.position == position), None)
        if item is None:
            raise NotFound("item", position)
        a.items.remove(item)
        session.flush()
        for n, rest in enumerate(sorted(a.items, key=lambda i: i.position), start=1):
            rest.position = n


def documents(session: Session, assembly_id: int) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.assembly_id == assembly_id)
                                .order_by(Document.id)))


def document(session: Session, assembly_id: int, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None or doc.assembly_id != assembly_id:
        raise NotFound("document", document_id)
    return doc


@dataclass(frozen=True)
class Attached:
    document_id: int
    sha256: str


def attach_document(session: Session, assembly_id: int, *, filename: str, mime: str,
                    content: bytes) -> Attached:
    """Attach a document for the owners to the draft (its SHA-256 goes in the notice)."""
    sha = hashlib.sha256(content).hexdigest()
    with writing(session):
        _draft(session, assembly_id)
        doc = Document(assembly_id=assembly_id, filename=filename, mime=mime, sha256=sha,
                       content=content)
        session.add(doc)
        session.flush()
        return Attached(doc.id, sha)


def remove_document(session: Session, assembly_id: int, *, document_id: int) -> None:
    with writing(session):
        _draft(session, assembly_id)
        session.delete(document(session, assembly_id, document_id))


# -- the command line ------------------------------------------------------------------

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
            "ballot_secrecy": assembly_settings(a).ballot_secrecy.value,
        })
    end_read(session)
    return rows


def publish_log(session: Session, settings: Any, assembly_id: int) -> bytes:
    """Create the assembly's log; the hash of its entry 0."""
    signer = log_signer(settings)
    with writing(session):
        policy = configured_policy(settings.witnesses, settings.witness_quorum)
        out = publish_assembly(session, assembly_id, signer, settings.base_url,
                               witness_policy=policy)  # (a secret one: with its ceremony)
        entry_hash = bytes(out.entry_hash)
    return entry_hash
