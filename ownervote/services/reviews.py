"""The review queue (:mod:`identity.store.review`) as services: each action one unit of work.

People the registry does not show yet (buyers in possession, heirs, guardians …) are
submitted with evidence by one committee member and approved by two others; any other
member may reject, the submitter may withdraw.  The queue's refusals are
:class:`identity.errors.ReviewError` and pass through; a reference or file that does
not exist is :class:`~ownervote.services.errors.NotFound`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import ReviewProblem
from identity.keyed import KeyedHasher
from identity.masking import mask_name
from identity.pii import PiiCipher, owner_name_purpose
from identity.store import attempts, rosters
from identity.store import review as queue
from identity.store.models import (
    Building,
    Owner,
    Ownership,
    ReviewEvidence,
    ReviewRequest,
    StaffUser,
    Unit,
)
from ownervote.db import utcnow
from ownervote.services.errors import NotFound
from ownervote.services.unit_of_work import end_read, writing

MAX_EVIDENCE_BYTES = queue.MAX_EVIDENCE_BYTES
APPROVALS_NEEDED = queue.APPROVALS_NEEDED


@dataclass(frozen=True)
class Evidence:
    """An evidence file as submitted: its name, checked type and content."""

    filename: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class Person:
    """The person the review is about, as typed in (hashed and encrypted at once)."""

    name: str
    id_type: str
    id_number: str


def find(session: Session, reference: str) -> ReviewRequest:
    """The review with this reference (:class:`NotFound` otherwise)."""
    r = session.scalars(select(ReviewRequest).where(ReviewRequest.reference == reference)).first()
    if r is None:
        raise NotFound("review", reference)
    return r


def pending(session: Session, community_id: int) -> list[ReviewRequest]:
    """The community's reviews waiting for decisions, oldest first."""
    return queue.pending(session, community_id)


def decided(session: Session, community_id: int, limit: int = 20) -> list[ReviewRequest]:
    """The community's latest decided (or withdrawn) reviews, newest first."""
    return list(session.scalars(select(ReviewRequest).where(
        ReviewRequest.community_id == community_id, ReviewRequest.status != "pending")
        .order_by(ReviewRequest.id.desc()).limit(limit)))


def unit_labels(session: Session, unit_ids: Iterable[int | None]) -> dict[int, str]:
    """Unit id -> label (``building-number``)."""
    ids = [i for i in unit_ids if i]
    if not ids:
        return {}
    return {u.id: u.label for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def unit(session: Session, unit_id: int | None) -> Unit | None:
    return session.get(Unit, unit_id) if unit_id else None


def find_unit(session: Session, community_id: int, label: str) -> Unit | None:
    """The community's unit typed as ``building-number`` (None: no such unit)."""
    building, _sep, number = label.strip().partition("-")
    return session.scalars(select(Unit).join(Building, Building.id == Unit.building_id).where(
        Unit.community_id == community_id, Building.name == building.strip(),
        Unit.number == number.strip())).first()


def unit_owners(session: Session, community_id: int, unit_id: int, *,
                cipher: PiiCipher) -> list[tuple[int, str]]:
    """``(owner id, masked name)`` of a unit's owners in the current roster."""
    version = rosters.latest_version(session, community_id)
    if version is None:
        return []
    rows = session.execute(select(Owner.id, Owner.id_hash, Owner.name_enc).join(
        Ownership, Ownership.owner_id == Owner.id).where(
        Ownership.roster_version_id == version.id, Ownership.unit_id == unit_id))
    return [(oid, mask_name(cipher.decrypt_text(enc, purpose=owner_name_purpose(h))))
            for oid, h, enc in rows]


#: How far back the review queue lists repeated failed verifications.
ALERTS_SHOWN_FOR = dt.timedelta(days=7)


@dataclass(frozen=True)
class RepeatedFailedMatches:
    """Someone failed verification again and again with this owner's ID number (the
    committee may want to ask the owner, or watch who verifies for the unit)."""

    owner_id: int
    owner_name_masked: str
    units: tuple[str, ...]  # the owner's units in the current roster
    at: dt.datetime  # when the count was reached
    failures: int
    within_minutes: int


def repeated_failed_matches(session: Session, community_id: int, *, cipher: PiiCipher,
                            now: dt.datetime | None = None) -> list[RepeatedFailedMatches]:
    """The community's alerts of the last seven days, newest first."""
    alerts = attempts.repeated_failures(session, community_id,
                                        (now or utcnow()) - ALERTS_SHOWN_FOR)
    version = rosters.latest_version(session, community_id)
    out = []
    for alert in alerts:
        owner = session.get(Owner, alert.owner_id)
        if owner is None:
            continue
        labels: tuple[str, ...] = ()
        if version is not None:
            labels = tuple(sorted(u.label for u in session.scalars(
                select(Unit).join(Ownership, Ownership.unit_id == Unit.id)
                .where(Ownership.roster_version_id == version.id,
                       Ownership.owner_id == owner.id))))
        name = mask_name(cipher.decrypt_text(owner.name_enc,
                                             purpose=owner_name_purpose(owner.id_hash)))
        out.append(RepeatedFailedMatches(owner.id, name, labels, alert.at, alert.failures,
                                         alert.within_minutes))
    return out


def staff_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Staff id -> username (who submitted and decided)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.username)
                                .where(StaffUser.id.in_(wanted))).all())


def person_name(r: ReviewRequest, *, cipher: PiiCipher) -> str:
    return queue.person_name(r, cipher)


def evidence_file(session: Session, reference: str, evidence_id: int, *,
                  cipher: PiiCipher) -> tuple[str, str, bytes]:
    """``(filename, mime, content)`` of one evidence file of the review."""
    r = find(session, reference)
    ev = session.get(ReviewEvidence, evidence_id)
    if ev is None or ev.request_id != r.id:
        raise NotFound("evidence", evidence_id)
    return queue.evidence_file(ev, cipher)


def _staff(session: Session, staff_id: int) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise NotFound("staff", staff_id)
    return staff


def decision_refusal(session: Session, reference: str, *, staff_id: int) -> ReviewProblem | None:
    """Why the member may not approve the review now (what the page says beside its
    disabled buttons); None: they may.  The same rule refuses the decision itself."""
    problem = queue.decision_refusal(session, find(session, reference),
                                     _staff(session, staff_id))
    end_read(session)
    return problem


def submit(session: Session, *, staff_id: int, community_id: int, kind: str, person: Person,
           unit_id: int | None, owner_id: int | None, replace: bool, evidence: Evidence,
           hasher: KeyedHasher, cipher: PiiCipher) -> ReviewRequest:
    """Open a review with its first evidence file (one unit of work)."""
    with writing(session):
        staff = _staff(session, staff_id)
        r = queue.submit(session, staff=staff, community_id=community_id, kind=kind,
                         person=queue.Person(person.name, person.id_type, person.id_number),
                         hasher=hasher, cipher=cipher, unit_id=unit_id, owner_id=owner_id,
                         replace=replace)
        queue.attach_evidence(session, r, staff=staff, filename=evidence.filename,
                              mime=evidence.mime, content=evidence.content, cipher=cipher)
    return r


def attach_evidence(session: Session, reference: str, *, staff_id: int, evidence: Evidence,
                    cipher: PiiCipher) -> ReviewRequest:
    """Attach another evidence file to a pending review."""
    with writing(session):
        r = find(session, reference)
        queue.attach_evidence(session, r, staff=_staff(session, staff_id),
                              filename=evidence.filename, mime=evidence.mime,
                              content=evidence.content, cipher=cipher)
    return r


def approve(session: Session, reference: str, *, staff_id: int, hasher: KeyedHasher,
            cipher: PiiCipher) -> ReviewRequest:
    """Approve; the second approval by another member applies the change."""
    with writing(session):
        r = find(session, reference)
        queue.approve(session, r, staff=_staff(session, staff_id), hasher=hasher, cipher=cipher)
    return r


def reject(session: Session, reference: str, *, staff_id: int, reason: str) -> ReviewRequest:
    """Reject (``reason``: a short code such as ``evidence_insufficient``)."""
    with writing(session):
        r = find(session, reference)
        queue.reject(session, r, staff=_staff(session, staff_id), reason=reason)
    return r


def withdraw(session: Session, reference: str, *, staff_id: int) -> ReviewRequest:
    """The submitter withdraws a pending review."""
    with writing(session):
        r = find(session, reference)
        queue.withdraw(session, r, staff=_staff(session, staff_id))
    return r
