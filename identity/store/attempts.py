"""Which verification attempts count against whom: the keys of the throttle's counters for
registry matches and SMS codes, and the committee's alert about repeated failed matches
against one owner.

A failed match that carries someone's ID number must not lock that person out (a
neighbour who knows the number could do it at will).  So a failure counts against:

* the client (``verify.client``),
* the claimant *from that client* — the ID number claimed, with the client's key
  (``verify.claimant``),
* the combination typed — community, ID number, name and certificate number or unit
  (``verify.combination``), from whatever client,

and only these are locked.  The real owner typing their own name, ID and certificate from
their own phone meets none of the counters an attacker filled.  Failures claiming one ID
number in one community are also counted from every client (``verify.target``), never
locking: reaching that count tells the committee (an audit event the review queue shows,
naming the owner by id only).

SMS codes count per claimant and client (``sms.claimant``: the person the verification
matched, asking from one client) and per client; a phone number only has a flood bound
that can hold it up for a minute at most (``sms.phone``: one code a minute, whoever asks),
so nobody can lock a stranger's phone out by asking codes for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.store import rosters, throttle
from identity.store.models import Owner, Ownership, Representation
from ownervote.audit import AuditEvent, record

#: The audit action the committee's review queue lists (subject ``owner:<id>``).
REPEATED_FAILURES = "identity.verify.repeated_failures"


@dataclass(frozen=True)
class MatchKeys:
    """The keyed hashes a match attempt is counted under (no personal data)."""

    client: str
    claimant: str  # the claimed ID number, from this client
    combination: str  # community + ID number + name + certificate/unit, as typed
    target: str  # community + claimed ID number, from any client (alert only)


def match_keys(hasher: KeyedHasher, client_key: str, community_id: int, claimed_id_hash: str,
               *, name: str, certificate: str, building: str, unit: str) -> MatchKeys:
    combination = "\x00".join((str(community_id), claimed_id_hash,
                               hasher.name_digest(name).hex(), certificate, building, unit))
    return MatchKeys(
        client=client_key,
        claimant=hasher.opaque("verify-claimant", f"{claimed_id_hash}\x00{client_key}"),
        combination=hasher.opaque("verify-combination", combination),
        target=hasher.opaque("verify-target", f"{community_id}\x00{claimed_id_hash}"))


def check_match(session: Session, keys: MatchKeys, now: dt.datetime) -> None:
    """Raise :class:`~identity.errors.Throttled` if this claim may not be tried now."""
    throttle.check(session, throttle.VERIFY_CLAIMANT, keys.claimant, now)
    throttle.check(session, throttle.VERIFY_COMBINATION, keys.combination, now)


def match_failed(session: Session, keys: MatchKeys, now: dt.datetime, *, community_id: int,
                 claimed_id_hash: str) -> None:
    """Count a failed match (the client's count is the caller's: it counts every failure)."""
    throttle.fail(session, throttle.VERIFY_CLAIMANT, keys.claimant, now)
    throttle.fail(session, throttle.VERIFY_COMBINATION, keys.combination, now)
    if throttle.reached(session, throttle.VERIFY_TARGET, keys.target, now):
        _tell_committee(session, community_id, claimed_id_hash, now)


def match_succeeded(session: Session, keys: MatchKeys) -> None:
    """Forget this claimant's failures from this client (a running lock-out stays)."""
    throttle.reset(session, throttle.VERIFY_CLAIMANT, keys.claimant)
    throttle.reset(session, throttle.VERIFY_COMBINATION, keys.combination)


def _targeted_owners(session: Session, community_id: int, claimed_id_hash: str) -> list[int]:
    """The owners of the community's current roster the claimed ID number is, or acts for."""
    owners: set[int] = set()
    version = rosters.latest_version(session, community_id)
    if version is not None:
        owners.update(session.scalars(
            select(Owner.id).join(Ownership, Ownership.owner_id == Owner.id)
            .where(Owner.id_hash == claimed_id_hash,
                   Ownership.roster_version_id == version.id)))
    owners.update(session.scalars(select(Representation.owner_id).where(
        Representation.community_id == community_id,
        Representation.person_id_hash == claimed_id_hash,
        Representation.revoked_at.is_(None))))
    return sorted(owners)


def _tell_committee(session: Session, community_id: int, claimed_id_hash: str,
                    now: dt.datetime) -> None:
    policy = throttle.VERIFY_TARGET
    for owner_id in _targeted_owners(session, community_id, claimed_id_hash):
        record(session, "system", REPEATED_FAILURES, f"owner:{owner_id}",
               community=community_id, failures=policy.max_failures,
               within_minutes=int(policy.window.total_seconds() // 60))


@dataclass(frozen=True)
class RepeatedFailures:
    """Repeated failed matches claiming one owner's ID number (for the committee)."""

    owner_id: int
    at: dt.datetime  # when the count was reached
    failures: int
    within_minutes: int


def repeated_failures(session: Session, community_id: int, since: dt.datetime) \
        -> list[RepeatedFailures]:
    """The alerts of this community since ``since``, newest first."""
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action == REPEATED_FAILURES, AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    out = []
    for event in events:
        detail = event.detail or {}
        kind, _sep, raw = event.subject.partition(":")
        if detail.get("community") != community_id or kind != "owner" or not raw.isdigit():
            continue
        out.append(RepeatedFailures(int(raw), event.at, int(detail.get("failures", 0)),
                                    int(detail.get("within_minutes", 0))))
    return out


# -- SMS codes --------------------------------------------------------------------------------

def code_requested(session: Session, hasher: KeyedHasher, *, client_key: str,
                   claimant_id_hash: str, phone: str, now: dt.datetime) -> None:
    """Count a code about to be sent; raise :class:`~identity.errors.Throttled` (nothing
    counted) if the claimant, the client or the phone may not have one now."""
    claimant = hasher.opaque("sms-claimant", f"{claimant_id_hash}\x00{client_key}")
    phone_key = hasher.opaque("phone", phone)
    counted = ((throttle.SMS_CLAIMANT, claimant), (throttle.SMS_CLIENT, client_key),
               (throttle.SMS_PHONE, phone_key))
    for policy, key in counted:
        throttle.check(session, policy, key, now)
    for policy, key in counted:  # every send counts
        throttle.fail(session, policy, key, now)
