"""Reading an assembly and its frozen roster from the database, and publishing its log.

The roster document is rebuilt deterministically from the immutable roster
version, so the bytes committed by ``roster_sha256`` at publication are the
bytes every later export writes.  Owners are used only to group units into
heads (voting's ``build_roster``); the document carries the grouping alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.store.models import Building, Community, Ownership, RosterVersion, Unit, UnitRecord
from ledger import timestamps
from ledger.documents import AssemblyDef, grouped_roster, item_doc, parse_assembly
from ledger.errors import LogStateError, Refusal
from ledger.keys import log_origin
from ledger.note import Signer
from ledger.store import castpath, logstore
from ledger.witnesspolicy import WitnessPolicy
from voting.errors import VotingError
from voting.heads import Roster
from voting.heads import Unit as VUnit
from voting.settings import AssemblySettings
from voting.store.models import Assembly

DEVELOPER_STATUSES = ("unsold", "sold_undelivered")


def _ms(value: dt.datetime | None) -> int | None:
    return None if value is None else timestamps.now_ms(value)


def assembly_settings(a: Assembly) -> AssemblySettings:
    data = dict(a.settings or {})
    if a.scope_buildings is not None:
        data["scope_buildings"] = list(a.scope_buildings)
    return AssemblySettings.from_dict(data, f"assembly {a.id} settings")


def assembly_document(session: Session, a: Assembly) -> dict[str, Any]:
    """The assembly definition published in entry 0 (see :mod:`ledger.documents`)."""
    if a.opens_at is None or a.closes_at is None:
        raise LogStateError(f"assembly {a.id} has no voting window")
    community = session.get(Community, a.community_id)
    items = [
        item_doc(
            str(it.position),
            it.title,
            it.description or "",
            it.kind,
            it.matter,
            it.scope_buildings,
            it.candidates,
            it.seats,
        )
        for it in sorted(a.items, key=lambda i: i.position)
    ]
    return {
        "id": a.id,
        "title": a.title,
        "description": a.description or "",
        "community": community.name if community else "",
        "notice_at": _ms(a.notice_at),
        "opens_at": _ms(a.opens_at),
        "closes_at": _ms(a.closes_at),
        "settings": assembly_settings(a).to_dict(),
        "items": items,
    }


def roster_document(session: Session, a: Assembly) -> tuple[bytes, Roster]:
    """The frozen roster of ``a`` as ``roster.json`` bytes and as a voting Roster."""
    if a.roster_version_id is None:
        raise LogStateError(f"assembly {a.id} has no frozen roster")
    rows = session.execute(
        select(UnitRecord, Unit, Building.name)
        .join(Unit, Unit.id == UnitRecord.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(UnitRecord.roster_version_id == a.roster_version_id)
    ).all()
    owners: dict[int, set[str]] = {}
    for unit_id, owner_id in session.execute(
        select(Ownership.unit_id, Ownership.owner_id).where(
            Ownership.roster_version_id == a.roster_version_id
        )
    ):
        owners.setdefault(unit_id, set()).add(str(owner_id))
    units = []
    try:
        for rec, unit, building in rows:
            developer = rec.status in DEVELOPER_STATUSES
            units.append(
                (
                    VUnit.from_areas(
                        f"{building}-{unit.number}",
                        () if developer else owners.get(unit.id, ()),
                        registered=rec.registered_area,
                        surveyed=rec.surveyed_area,
                        contract=rec.contract_area,
                        building=building,
                        usage=rec.usage,
                        developer_held=developer,
                    ),
                    rec.status,
                )
            )
        version = session.get_one(RosterVersion, a.roster_version_id)
        community = session.get(Community, a.community_id)
        header = {
            "community": community.name if community else "",
            "roster_version": version.version,
            "registry_digest": version.digest,
        }
        return grouped_roster(header, units, assembly_settings(a))
    except VotingError as exc:
        raise LogStateError(f"assembly {a.id}: roster cannot be grouped: {exc}") from None


def assembly_origin(session: Session, a: Assembly, base_url: str | None) -> str:
    """The origin line its log has (or will have, once noticed): what every signed payload
    and trustee document of the assembly names."""
    community = session.get(Community, a.community_id)
    name = community.name if community else ""
    slug = (
        name
        if any(ch.isascii() and ch.isalnum() for ch in name)
        else (f"community-{a.community_id}")
    )
    return log_origin(base_url, slug, a.id)


def publish_assembly(
    session: Session,
    assembly_id: int,
    signer: Signer,
    base_url: str | None = None,
    now: dt.datetime | None = None,
    witness_policy: WitnessPolicy | None = None,
) -> logstore.Appended:
    """Create the assembly's log: entry 0 with its definition and roster commitment, then
    a secret assembly's key ceremony (:func:`ledger.store.trustees.notice_entries`:
    refused with ``ceremony_not_final`` unless it is final), before the log's first
    checkpoint.

    Call when the notice is published (the agenda is frozen from then on), inside
    a writer transaction (:func:`ledger.store.logstore.begin_write`).
    """
    a = session.get(Assembly, assembly_id)
    if a is None:
        raise LogStateError(f"no assembly {assembly_id}")
    doc = assembly_document(session, a)
    parse_assembly(doc)  # refuse to publish what a verifier could not read
    roster_bytes, _ = roster_document(session, a)
    from ledger.store.trustees import notice_entries  # (it reads this module)

    ceremony = notice_entries(session, a, base_url)
    origin = assembly_origin(session, a, base_url)
    out = logstore.create_log(
        session,
        a.id,
        origin=origin,
        log_vkey=signer.verifier.vkey,
        assembly=doc,
        roster_sha256=hashlib.sha256(roster_bytes).hexdigest(),
        opens_at_ms=doc["opens_at"],
        closes_at_ms=doc["closes_at"],
        now=now,
        witness_policy=None if witness_policy is None else witness_policy.to_doc(),
    )
    for kind, body in ceremony:
        logstore.append(session, a.id, kind, body, now=now)
    from ledger.store.checkpoints import issue_checkpoint

    issue_checkpoint(session, a.id, signer, now=now)  # the first signed view of the log
    return out


def published(session: Session, assembly_id: int) -> tuple[AssemblyDef, Roster]:
    """The published definition and roster of a log (cached by the entry-0 hash).

    The cache is per process (:data:`ledger.store.castpath.PUBLISHED`) and keyed by
    entry 0's hash, which commits to the definition and the roster; one small indexed
    read per transaction checks it.
    """
    memo = castpath.memo(session)
    hit = memo.published.get(assembly_id)
    if hit is not None:
        return hit
    first = castpath.read_entry0_hash(session, assembly_id)
    if first is None:
        raise LogStateError(f"assembly {assembly_id} has no log", code=Refusal.NO_LOG)
    key = (assembly_id, first)
    hit = castpath.PUBLISHED.get(key)
    if hit is None:
        entry = logstore.parse_entry(logstore.entry_bytes(session, assembly_id, 0), 0)
        adef = parse_assembly(entry.body["assembly"])
        a = session.get_one(Assembly, assembly_id)  # its log exists
        data, roster = roster_document(session, a)
        if hashlib.sha256(data).hexdigest() != entry.body["roster_sha256"]:
            raise LogStateError(f"assembly {assembly_id}: the roster changed since publication")
        hit = castpath.PUBLISHED.put(key, (adef, roster))
    memo.published[assembly_id] = hit
    return hit
