"""The committee review queue: people the registry does not show (yet), with evidence.

Kinds (``identity.review_effects``):

* ``delivered_buyer`` — took possession, not registered yet (SPC art. 1);
* ``heir`` — inherited the unit; ``court_ruling`` — owner by a court's ruling;
* ``developer`` — names the developer of units the extract lists without owner;
* ``guardian`` — 法定监护人 of an owner without full legal capacity;
* ``legal_representative`` — votes for an organisation owner.

A committee member submits the request with the person's name and ID (hashed
and encrypted at once) and attaches evidence files (stored encrypted, named by
the SHA-256 of their content).  **Two different committee members, neither of
them the submitter, must approve**; any other member may reject.  On the
second approval the effect is applied: a new roster version (ownership kinds)
or a :class:`Representation` row (guardians, representatives).  Every step is
audited without personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from identity import idnumbers, review_effects, review_rules
from identity.errors import IdNumberError, ReviewError, ReviewProblem
from identity.keyed import KeyedHasher
from identity.masking import mask_id
from identity.pii import PiiCipher, owner_name_purpose, person_name_purpose
from identity.roster import StoredUnit, digest, summarise, to_roster_units
from identity.store import rosters
from identity.store.models import (
    Community,
    Owner,
    Ownership,
    Representation,
    ReviewDecision,
    ReviewEvidence,
    ReviewRequest,
    StaffUser,
    Unit,
)
from ownervote.audit import record
from ownervote.db import utcnow

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
APPROVALS_NEEDED = 2


@dataclass(frozen=True)
class Person:
    name: str
    id_type: str
    id_number: str


def _committee(staff: StaffUser, community_id: int) -> None:
    if staff.role != "committee" or staff.community_id != community_id:
        raise ReviewError(f"staff {staff.id} is not a committee member of community "
                          f"{community_id}", ReviewProblem.NOT_COMMITTEE)


def submit(session: Session, *, staff: StaffUser, community_id: int, kind: str, person: Person,
           hasher: KeyedHasher, cipher: PiiCipher, unit_id: int | None = None,
           owner_id: int | None = None, replace: bool = True,
           now: dt.datetime | None = None) -> ReviewRequest:
    """Open a review request; the caller commits."""
    now = now or utcnow()
    _committee(staff, community_id)
    if kind not in review_effects.KINDS:
        raise ReviewError(f"unknown review kind {kind!r}; one of {sorted(review_effects.KINDS)}",
                          ReviewProblem.UNKNOWN_KIND)
    try:
        id_type, number = idnumbers.validate(person.id_type, person.id_number)
    except IdNumberError as exc:
        raise ReviewError(f"person's ID: {exc}", ReviewProblem.PERSON_ID) from None
    if not person.name.strip():
        raise ReviewError("the person's name is required", ReviewProblem.NAME_REQUIRED)
    organisation = idnumbers.is_organisation(id_type)
    if kind == "developer" and not organisation:
        raise ReviewError("the developer is identified by its 统一社会信用代码",
                          ReviewProblem.DEVELOPER_ID)
    if kind in ("guardian", "legal_representative") and organisation:
        raise ReviewError(f"a {kind} is a natural person", ReviewProblem.NATURAL_PERSON)
    version = rosters.latest_version(session, community_id)
    if version is None:
        raise ReviewError(f"community {community_id} has no roster yet", ReviewProblem.NO_ROSTER)
    params: dict[str, Any] = {"replace": bool(replace)}
    if kind in review_effects.OWNERSHIP_KINDS and kind != "developer":
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None or unit.community_id != community_id:
            raise ReviewError(f"{kind}: a unit of community {community_id} is required",
                              ReviewProblem.UNIT_REQUIRED)
        current = next((u for u in rosters.load_units(session, version.id)
                        if u.label == unit.label), None)
        if current is None:
            raise ReviewError(f"unit {unit.label} is not in the current roster",
                              ReviewProblem.UNIT_NOT_IN_ROSTER)
        params["before"] = review_effects.before_state(current)
    if kind in review_effects.REPRESENTATION_KINDS:
        owners = set(session.scalars(select(Ownership.owner_id).where(
            Ownership.roster_version_id == version.id)))
        owner = session.get(Owner, owner_id) if owner_id is not None else None
        if owner is None or owner.id not in owners:
            raise ReviewError(f"{kind}: the represented owner must be in the current roster",
                              ReviewProblem.OWNER_NOT_IN_ROSTER)
        if kind == "legal_representative" and owner.kind != "organisation":
            raise ReviewError("a legal representative acts for an organisation owner",
                              ReviewProblem.ORGANISATION_OWNER)
        if kind == "guardian" and owner.kind == "organisation":
            raise ReviewError("a guardian acts for a natural person",
                              ReviewProblem.NATURAL_OWNER)
    reference = secrets.token_hex(8)
    request = ReviewRequest(
        reference=reference, community_id=community_id, kind=kind, unit_id=unit_id,
        owner_id=owner_id, person_id_type=id_type,
        person_id_hash=hasher.id_hash(id_type, number), person_id_masked=mask_id(number),
        person_name_enc=cipher.encrypt_text(person.name.strip(),
                                            purpose=person_name_purpose("review", reference)),
        params=params, status="pending", submitted_by=staff.id, submitted_at=now)
    session.add(request)
    session.flush()
    record(session, f"staff:{staff.id}", "review.submit", f"review:{reference}", kind=kind,
           unit=unit_id, owner=owner_id)
    return request


def attach_evidence(session: Session, request: ReviewRequest, *, staff: StaffUser,
                    filename: str, mime: str, content: bytes, cipher: PiiCipher,
                    now: dt.datetime | None = None) -> ReviewEvidence:
    """Attach a file (encrypted; identified by its SHA-256); the same file twice is one."""
    _committee(staff, request.community_id)
    if request.status != "pending":
        raise ReviewError(f"review {request.reference} is {request.status}; evidence is closed",
                          ReviewProblem.EVIDENCE_CLOSED)
    if not content or len(content) > MAX_EVIDENCE_BYTES:
        raise ReviewError(f"evidence must be 1 byte to {MAX_EVIDENCE_BYTES // 2**20} MiB",
                          ReviewProblem.EVIDENCE_SIZE)
    sha = hashlib.sha256(content).hexdigest()
    existing = session.scalars(select(ReviewEvidence).where(
        ReviewEvidence.request_id == request.id, ReviewEvidence.sha256 == sha)).first()
    if existing is not None:
        return existing
    evidence = ReviewEvidence(
        request_id=request.id, sha256=sha, mime=mime[:100], size=len(content),
        filename_enc=cipher.encrypt_text(filename[:255],
                                         purpose=f"evidence.filename:{request.id}:{sha}"),
        content_enc=cipher.encrypt(content, purpose=f"evidence.content:{request.id}:{sha}"),
        added_by=staff.id, created_at=now or utcnow())
    session.add(evidence)
    session.flush()
    record(session, f"staff:{staff.id}", "review.evidence", f"review:{request.reference}",
           sha256=sha, size=len(content), mime=evidence.mime)
    return evidence


def evidence_file(evidence: ReviewEvidence, cipher: PiiCipher) -> tuple[str, str, bytes]:
    """``(filename, mime, content)``, checked against the stored SHA-256."""
    content = cipher.decrypt(evidence.content_enc,
                             purpose=f"evidence.content:{evidence.request_id}:{evidence.sha256}")
    if hashlib.sha256(content).hexdigest() != evidence.sha256:
        raise ReviewError(f"evidence {evidence.sha256[:16]}… does not match its hash",
                          ReviewProblem.EVIDENCE_DAMAGED)
    name = cipher.decrypt_text(evidence.filename_enc,
                               purpose=f"evidence.filename:{evidence.request_id}:{evidence.sha256}")
    return name, evidence.mime, content


def decision_refusal(session: Session, request: ReviewRequest, staff: StaffUser, *,
                     approving: bool = True) -> ReviewProblem | None:
    """Why ``staff`` may not decide ``request`` now (:func:`identity.review_rules.
    decision_refusal` over what is stored); None: they may."""
    session.flush()
    session.refresh(request, ["decisions"])
    has_evidence = session.execute(select(func.count()).select_from(ReviewEvidence).where(
        ReviewEvidence.request_id == request.id)).scalar_one() > 0
    return review_rules.decision_refusal(
        member_of_community=staff.role == "committee"
        and staff.community_id == request.community_id,
        status=request.status, submitted_by=request.submitted_by, deciding=staff.id,
        decided_by={d.staff_id for d in request.decisions}, has_evidence=has_evidence,
        approving=approving)


def _decide(session: Session, request: ReviewRequest, staff: StaffUser, decision: str,
            now: dt.datetime) -> None:
    problem = decision_refusal(session, request, staff, approving=decision == "approve")
    if problem is not None:
        said = {
            ReviewProblem.NOT_COMMITTEE: f"staff {staff.id} is not a committee member of "
                                         f"community {request.community_id}",
            ReviewProblem.ALREADY_DECIDED: f"review {request.reference} is already "
                                           f"{request.status}",
            ReviewProblem.SUBMITTER_DECIDES: "the member who submitted a review cannot "
                                             "decide it",
            ReviewProblem.DECIDED_BY_YOU: f"staff {staff.id} has already decided review "
                                          f"{request.reference}",
            ReviewProblem.NO_EVIDENCE: f"review {request.reference} has no evidence attached",
        }
        raise ReviewError(said[problem], problem)
    session.add(ReviewDecision(request_id=request.id, staff_id=staff.id, decision=decision,
                               at=now))
    session.flush()
    session.refresh(request, ["decisions"])


def approve(session: Session, request: ReviewRequest, *, staff: StaffUser, hasher: KeyedHasher,
            cipher: PiiCipher, now: dt.datetime | None = None) -> ReviewRequest:
    """Record an approval; the second distinct approval applies the effect.  Caller commits."""
    now = now or utcnow()
    _decide(session, request, staff, "approve", now)
    approvals = {d.staff_id for d in request.decisions if d.decision == "approve"}
    record(session, f"staff:{staff.id}", "review.approve", f"review:{request.reference}",
           approvals=len(approvals))
    if len(approvals) >= APPROVALS_NEEDED:
        _apply(session, request, hasher, cipher, now)
        request.status, request.decided_at = "approved", now
        record(session, "system", "review.applied", f"review:{request.reference}",
               kind=request.kind, roster_version=request.roster_version_id)
    return request


def reject(session: Session, request: ReviewRequest, *, staff: StaffUser, reason: str,
           now: dt.datetime | None = None) -> ReviewRequest:
    """Reject (``reason`` is a short code like ``evidence_insufficient``, not free text)."""
    now = now or utcnow()
    _decide(session, request, staff, "reject", now)
    request.status, request.decided_at = "rejected", now
    record(session, f"staff:{staff.id}", "review.reject", f"review:{request.reference}",
           reason=reason[:60])
    return request


def withdraw(session: Session, request: ReviewRequest, *, staff: StaffUser,
             now: dt.datetime | None = None) -> ReviewRequest:
    if staff.id != request.submitted_by or request.status != "pending":
        raise ReviewError("only the submitter can withdraw a pending review",
                          ReviewProblem.NOT_SUBMITTER)
    request.status, request.decided_at = "withdrawn", now or utcnow()
    record(session, f"staff:{staff.id}", "review.withdraw", f"review:{request.reference}")
    return request


def pending(session: Session, community_id: int) -> list[ReviewRequest]:
    return list(session.scalars(select(ReviewRequest).where(
        ReviewRequest.community_id == community_id, ReviewRequest.status == "pending")
        .order_by(ReviewRequest.submitted_at, ReviewRequest.id)))


def person_name(request: ReviewRequest, cipher: PiiCipher) -> str:
    return cipher.decrypt_text(request.person_name_enc,
                               purpose=person_name_purpose("review", request.reference))


def _apply(session: Session, request: ReviewRequest, hasher: KeyedHasher, cipher: PiiCipher,
           now: dt.datetime) -> None:
    name = person_name(request, cipher)
    if request.kind in review_effects.REPRESENTATION_KINDS:
        reference = secrets.token_hex(8)
        session.add(Representation(
            reference=reference, community_id=request.community_id, owner_id=request.owner_id,
            kind=request.kind, person_id_hash=request.person_id_hash,
            person_id_masked=request.person_id_masked,
            name_enc=cipher.encrypt_text(name, purpose=person_name_purpose("representative",
                                                                          reference)),
            review_id=request.id, created_at=now))
        session.flush()
        return
    community = session.get(Community, request.community_id)
    version = rosters.latest_version(session, request.community_id)
    assert community is not None and version is not None
    units = rosters.load_units(session, version.id)
    label = None
    if request.unit_id is not None:
        unit = session.get(Unit, request.unit_id)
        label = unit.label if unit is not None else None
        current = next((u for u in units if u.label == label), None)
        if current is None or review_effects.before_state(current) != request.params["before"]:
            raise ReviewError(f"unit {label} changed in the roster since review "
                              f"{request.reference} was submitted; submit it again",
                              ReviewProblem.UNIT_CHANGED)
    units = review_effects.apply_change(units, kind=request.kind, label=label,
                                        person_hash=request.person_id_hash,
                                        replace=bool(request.params.get("replace", True)))
    if session.scalar(select(Owner.id).where(Owner.id_hash == request.person_id_hash)) is None:
        session.execute(insert(Owner), [{
            "id_hash": request.person_id_hash, "id_type": request.person_id_type,
            "id_masked": request.person_id_masked,
            "name_enc": cipher.encrypt_text(name, purpose=owner_name_purpose(
                request.person_id_hash)),
            "kind": "organisation" if idnumbers.is_organisation(request.person_id_type)
            else "person"}])
    roster_units = to_roster_units(units, community.name, hasher)
    summary = summarise(roster_units).to_json()
    new = rosters.write_version(session, community, units, digest=digest(roster_units),
                              source=f"review:{request.reference}", summary=summary)
    request.roster_version_id = new.id


def carry_over(session: Session, community_id: int,
               units: list[StoredUnit]) -> tuple[list[StoredUnit], tuple[str, ...]]:
    """Re-apply approved ownership reviews the incoming registry data has not overtaken."""
    reviews = session.scalars(
        select(ReviewRequest).where(ReviewRequest.community_id == community_id,
                                    ReviewRequest.status == "approved",
                                    ReviewRequest.kind.in_(review_effects.OWNERSHIP_KINDS))
        .order_by(ReviewRequest.decided_at, ReviewRequest.id)).all()
    carried = []
    for review in reviews:
        label = None
        if review.unit_id is not None:
            unit = session.get(Unit, review.unit_id)
            label = unit.label if unit is not None else None
        if not review_effects.still_applies(review.kind, review.params.get("before"), units, label):
            continue
        units = review_effects.apply_change(units, kind=review.kind, label=label,
                             person_hash=review.person_id_hash,
                             replace=bool(review.params.get("replace", True)))
        carried.append(review.reference)
    return units, tuple(carried)
