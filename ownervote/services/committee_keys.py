"""Committee members' browser keys in an assembly's log, and the entries they sign.

A member's key is an ECDSA P-256 key pair made by WebCrypto in their browser with
``extractable: false``: the private key never reaches the server.  Before the first
signed entry in an assembly, :func:`enroll` enrols the public key in that log
(``official.enrolled``, attested by the log key and naming the member by the
pseudonym :func:`member_ref`).  Paper ballots, proxies, transfers and voids are then
prepared by the server, signed in the browser and appended with the signature by
:func:`append_signed`, one unit of work each: the audit bundle proves which enrolled
committee key entered each one.

Refusals of this layer are :class:`EntryRefused` (a code of :class:`EntryRefusal` and
its figures); the ledger's own refusals (:class:`ledger.errors.LedgerError`, with
``code``) and the casting rules' (:class:`voting.errors.CastRefused`) pass through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.store.models import StaffUser
from ledger.ballots import key_id, load_official_key
from ledger.entries import parse_entry
from ledger.errors import EncodingError, SignatureError
from ledger.note import Signer
from ledger.payloads import OfficialEnrolled
from ledger.store import enrolment, logstore
from ledger.store.models import LedgerEntry, LedgerKey
from ledger.store.publish import published
from ledger.store.sales import sales_now
from ownervote.audit import record
from ownervote.services.errors import NotFound, ServiceError
from ownervote.services.unit_of_work import writing
from voting.heads import Head
from voting.lifecycle import Status
from voting.store.models import Assembly

# Between the notice (the log exists) and the close, committee entries are taken.
TAKING_ENTRIES = (Status.NOTICED.value, Status.OPEN.value)


class EntryRefusal(StrEnum):
    """Why a committee entry (or the key that signs it) was refused before the ledger.

    Parameters (:attr:`EntryRefused.params`) per code:

    * ``keys_not_taken`` — keys are enrolled between the notice and the close: none
    * ``not_a_p256_key`` — the browser sent something else than a P-256 public key: none
    * ``key_of_another_member`` — the key is enrolled for another member: ``key``
    * ``not_your_key`` — the entry is not signed with the member's enrolled key: ``key``
    * ``unit_not_in_roster`` — no such unit in the frozen roster: ``unit`` (its label)
    * ``unit_not_voting`` — the unit is in the roster but does not vote here: ``unit``
    """

    KEYS_NOT_TAKEN = "keys_not_taken"
    NOT_A_P256_KEY = "not_a_p256_key"
    KEY_OF_ANOTHER_MEMBER = "key_of_another_member"
    NOT_YOUR_KEY = "not_your_key"
    UNIT_NOT_IN_ROSTER = "unit_not_in_roster"
    UNIT_NOT_VOTING = "unit_not_voting"


class EntryRefused(ServiceError):
    """A committee entry refused by the service layer; ``code`` and ``params`` say why."""

    def __init__(self, code: EntryRefusal, params: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.params: Mapping[str, Any] = dict(params or {})
        super().__init__(f"{code.value} {dict(self.params)}" if self.params else code.value)


@dataclass(frozen=True)
class Enrolment:
    """A member's key in a log: its id, whether this call enrolled it, and the entry."""

    official: str
    enrolled: bool
    entry: int | None = None


def member_ref(hasher: KeyedHasher, staff_id: int) -> str:
    """The ledger's pseudonym for a committee member (stable; unlinkable without the key)."""
    return "staff-" + hasher.opaque("committee-member", str(staff_id))[:24]


def enrolled_ref(session: Session, assembly_id: int, kid: str) -> str | None:
    """The member pseudonym a committee key ``kid`` is enrolled for in this log (or None)."""
    row = session.get(LedgerKey, (assembly_id, kid))
    if row is None or row.kind != "official":
        return None
    body = session.execute(select(LedgerEntry.body).where(
        LedgerEntry.assembly_id == assembly_id, LedgerEntry.index == row.entry_index)).scalar_one()
    return parse_entry(bytes(body), row.entry_index).payload_as(OfficialEnrolled).ref


def owns_key(session: Session, assembly_id: int, kid: Any, *, hasher: KeyedHasher,
             staff_id: int) -> bool:
    """Is ``kid`` a committee key of this log enrolled for member ``staff_id``?"""
    if not isinstance(kid, str):
        return False
    return enrolled_ref(session, assembly_id, kid) == member_ref(hasher, staff_id)


def enroll(session: Session, assembly_id: int, *, spki: bytes, staff_id: int,
           hasher: KeyedHasher, signer: Signer, now: dt.datetime, actor: str) -> Enrolment:
    """Enrol the member's browser key (SPKI) in the assembly's log; idempotent.

    Refused (:class:`EntryRefused`) outside the notice-to-close period, for a key that
    is not P-256, and for a key already enrolled for another member.
    """
    with writing(session):
        a = session.get(Assembly, assembly_id, populate_existing=True)
        if a is None:
            raise NotFound("assembly", assembly_id)
        if a.status not in TAKING_ENTRIES:
            raise EntryRefused(EntryRefusal.KEYS_NOT_TAKEN)
        try:
            load_official_key(spki)
        except (EncodingError, SignatureError, TypeError, ValueError):
            raise EntryRefused(EntryRefusal.NOT_A_P256_KEY) from None
        kid = key_id(spki)
        ref = member_ref(hasher, staff_id)
        known = enrolled_ref(session, assembly_id, kid)
        if known is not None:
            if known != ref:
                raise EntryRefused(EntryRefusal.KEY_OF_ANOTHER_MEMBER, {"key": kid})
            return Enrolment(kid, enrolled=False)
        out = enrolment.enroll_official(session, assembly_id, signer, spki, ref, now=now)
        staff = session.get(StaffUser, staff_id)
        if staff is not None:
            staff.signing_public_key = spki
        record(session, actor, "official.enroll", f"assembly:{assembly_id}", key=kid[:16],
               entry=out.index)
    return Enrolment(kid, enrolled=True, entry=out.index)


def append_signed(session: Session, assembly_id: int, *, official: Any, staff_id: int,
                  hasher: KeyedHasher, actor: str, action: str,
                  append: Callable[[Session], logstore.Appended],
                  audit: Mapping[str, Any] | None = None) -> logstore.Appended:
    """Append one member-signed entry as one unit of work, with its audit record.

    The entry must be signed with ``staff_id``'s own key enrolled in this log
    (``official``, else ``not_your_key``); ``append`` appends it (the ledger checks
    the signature and the entry's rules under the log's lock, and refuses with a
    typed :class:`~ledger.errors.LedgerError` or :class:`~voting.errors.CastRefused`);
    the audit event ``action`` records the entry's index and ``audit``.  A refusal
    rolls everything back.
    """
    with writing(session):
        if not owns_key(session, assembly_id, official, hasher=hasher, staff_id=staff_id):
            raise EntryRefused(EntryRefusal.NOT_YOUR_KEY,
                               {"key": official if isinstance(official, str) else ""})
        out = append(session)
        record(session, actor, action, f"assembly:{assembly_id}", entry=out.index,
               **dict(audit or {}))
    return out


def resolve_unit(session: Session, assembly_id: int, building: str, number: str, *,
                 frozen: bool = False) -> Head:
    """The roster head of a unit typed in from a sheet (building and unit number).

    The head that holds it now: after a unit was sold out of a multi-unit head, its
    buyer's (:mod:`voting.sales`); ``frozen``: the head of the roster frozen at notice.
    Refused (:class:`EntryRefused`) with ``unit_not_voting`` for a unit the frozen
    roster leaves out (parking, storage, outside the scope) and ``unit_not_in_roster``
    for one it does not know.
    """
    label = f"{building.strip()}-{number.strip()}"
    roster = published(session, assembly_id)[1]
    sales = None if frozen else sales_now(session, assembly_id)
    if sales is not None and label in sales.roster.head_of_unit:
        return sales.roster.heads[sales.roster.head_of_unit[label]]
    head_id = roster.head_of_unit.get(label)
    if head_id is not None:
        return roster.heads[head_id]
    if label in roster.excluded:
        raise EntryRefused(EntryRefusal.UNIT_NOT_VOTING, {"unit": label})
    raise EntryRefused(EntryRefusal.UNIT_NOT_IN_ROSTER, {"unit": label})


def roster_buildings(session: Session, assembly_id: int) -> list[str]:
    """The buildings of the frozen roster, in natural order (for the entry forms)."""
    roster = published(session, assembly_id)[1]
    return sorted({u.building or "" for u in roster.units.values()}, key=lambda b: (len(b), b))


def log_origin(session: Session, assembly_id: int) -> str:
    """The origin of the assembly's log (every signed payload names it)."""
    return logstore.get_head(session, assembly_id).origin
