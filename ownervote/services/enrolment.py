"""Keys: the phone's device key (identity) and its ballot keys (one per assembly and head).

* :func:`enrol_device` — right after the SMS code (the web layer checks it was in the
  last 30 minutes), the phone's new P-256 *device key* is enrolled for the account
  (:func:`identity.store.devices.enrol`): the account's older device keys are revoked
  (SMS warning to the owner), and so are the ballot keys the owner had in open logs,
  so a lost phone can no longer vote.  One unit of work.
* :func:`enrol_ballot_key` — the phone's *ballot key* for one head of an assembly,
  asked for by a request the device key signed (:func:`ballot_key_request`), so a
  stolen session cookie alone cannot enrol a key.  The log attests the enrolment
  (``key.enrolled``) and revokes the voter's earlier key for that head.  A log binds a
  key to one head, hence one ballot key per (assembly, head).  The checks read first;
  the appends are one unit of work.

Refusals of this module are :class:`EnrolmentRefused` (:class:`EnrolmentRefusal`
codes); the domain's own pass through: :class:`identity.errors.DeviceKeyError` (a bad
or reused key, a revoked account), :class:`identity.errors.SmsError` (the warning could
not be sent: nothing is kept), :class:`ledger.errors.LedgerError` with its
:class:`~ledger.errors.Refusal` code (e.g. ``closed``, ``key_already_enrolled``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import DeviceKeyError
from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from identity.store.devices import active_key, enrol, public_key
from identity.store.models import DeviceKey, OwnerAccount
from identity.store.smsoutbox import make_gateway
from ledger import canonical, timestamps
from ledger.allowance import BALLOT_KEYS_PER_DAY, retry_at
from ledger.ballots import key_id, verify_p256_message
from ledger.errors import SignatureError
from ledger.note import Signer
from ledger.store.enrolment import enroll_key, revoke_key
from ledger.store.models import VOTER_KEY, LedgerEntry, LedgerKey, LogHead
from ownervote.services import owner_assemblies, owner_heads
from ownervote.services.errors import NotFound, ServiceError
from ownervote.services.unit_of_work import writing
from voting.store.models import Assembly

#: What the device key signs to ask for a ballot key: this prefix, then canonical JSON of
#: ``{"device": device key id, "head": head id, "origin": log origin, "spki": b64url}``.
BALLOT_KEY_REQUEST = b"ownervote/ballot-key-request/v1\n"


class EnrolmentRefusal(StrEnum):
    """Why a ballot key was not enrolled (no params)."""

    NO_DEVICE_KEY = "no_device_key"  # the account has no active device key (phone not set up)
    BAD_DEVICE_SIGNATURE = "bad_device_signature"  # the request is not signed by that key
    NOT_YOUR_HEAD = "not_your_head"  # the account does not vote for this head here
    TOO_MANY_KEYS = "too_many_keys"  # ledger.allowance.BALLOT_KEYS_PER_DAY used up (retry_at)


class EnrolmentRefused(ServiceError):
    def __init__(self, code: EnrolmentRefusal, retry_at: dt.datetime | None = None) -> None:
        self.code, self.retry_at = code, retry_at
        super().__init__(code.value)


def ballot_key_request(device_key_id: str, head_id: str, origin: str, spki_b64: str) -> bytes:
    """The exact bytes a device key signs to ask for a ballot key (see the module doc)."""
    return BALLOT_KEY_REQUEST + canonical.encode(
        {"device": device_key_id, "head": head_id, "origin": origin, "spki": spki_b64})


def active_device_key(session: Session, account_id: int) -> DeviceKey | None:
    """The account's enrolled, unrevoked device key (None: the phone is not set up)."""
    return active_key(session, account_id)


# -- the device key -------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceEnrolled:
    device_key: str  # its id
    replaced: int  # older device keys of the account revoked
    ballot_keys_revoked: int  # the owner's ballot keys revoked in open logs


def _open_logs(session: Session) -> list[LogHead]:
    return list(session.scalars(
        select(LogHead).join(Assembly, Assembly.id == LogHead.assembly_id)
        .where(Assembly.status.in_(("noticed", "open")), LogHead.closed.is_(False))))


def _revoke_owner_ballot_keys(session: Session, owner_id: int, reason: str, *,
                              signer: Signer, hasher: KeyedHasher) -> list[str]:
    """Revoke the owner's ballot keys in every open log (the phone was replaced)."""
    revoked = []
    for head in _open_logs(session):
        voter = owner_heads.voter_of(session, owner_id, head.origin, hasher)
        for kid in owner_heads.live_ballot_keys(session, head.assembly_id, voter):
            revoke_key(session, head.assembly_id, signer, kid, reason)
            revoked.append(kid)
    return revoked


def enrol_device(session: Session, account_id: int, spki: bytes, *, settings: Any,
                 cipher: PiiCipher, hasher: KeyedHasher, signer: Signer) -> DeviceEnrolled:
    """Enrol the phone's new device key for the account; revoke its older device keys and
    the owner's ballot keys in open logs (one unit of work)."""
    with writing(session):
        account = session.get(OwnerAccount, account_id)
        if account is None:
            raise NotFound("account", account_id)
        gateway = make_gateway(settings, session)
        enrolment = enrol(session, account, spki, cipher=cipher, gateway=gateway)
        revoked: list[str] = []
        if enrolment.revoked:
            revoked = _revoke_owner_ballot_keys(session, account.owner_id, "replaced",
                                                signer=signer, hasher=hasher)
        return DeviceEnrolled(enrolment.key.id, len(enrolment.revoked), len(revoked))


# -- ballot keys ----------------------------------------------------------------------------

def _within_key_allowance(session: Session, assembly_id: int, voter: str) -> None:
    """Refuse a ballot key beyond :data:`ledger.allowance.BALLOT_KEYS_PER_DAY` of this owner
    (``voter``: their pseudonym in this log) — read inside the writing unit, so that two
    requests at once cannot both take the last one on SQLite (one writer at a time)."""
    window = BALLOT_KEYS_PER_DAY
    now_ms = timestamps.now_ms()
    since = timestamps.ms_to_datetime(now_ms - window.ms)
    times = session.scalars(
        select(LedgerEntry.created_at)
        .join(LedgerKey, (LedgerKey.assembly_id == LedgerEntry.assembly_id)
              & (LedgerKey.entry_index == LedgerEntry.index))
        .where(LedgerKey.assembly_id == assembly_id, LedgerKey.voter == voter,
               LedgerKey.kind == VOTER_KEY, LedgerKey.role == "owner",
               LedgerEntry.created_at >= since)).all()
    free_at = retry_at((timestamps.now_ms(t) for t in times), now_ms, (window,))
    if free_at is not None:
        raise EnrolmentRefused(EnrolmentRefusal.TOO_MANY_KEYS,
                               retry_at=timestamps.ms_to_datetime(free_at))


@dataclass(frozen=True)
class BallotKeyEnrolled:
    key: str  # the ballot key's id
    head: str
    index: int  # its key.enrolled entry


def enrol_ballot_key(session: Session, assembly_id: int, *, account_id: int, head_id: str,
                     spki: bytes, signature: bytes, signer: Signer, hasher: KeyedHasher,
                     cipher: PiiCipher) -> BallotKeyEnrolled:
    """Enrol the phone's ballot key for ``head_id`` in the assembly's log, asked for by a
    request its device key signed; the voter's earlier key for the head is revoked."""
    owner_assemblies.visible(session, assembly_id)
    head = owner_assemblies.require_log(session, assembly_id)
    account = session.get(OwnerAccount, account_id)
    if account is None:
        raise NotFound("account", account_id)
    device = active_key(session, account.id)
    if device is None:
        raise EnrolmentRefused(EnrolmentRefusal.NO_DEVICE_KEY)
    request = ballot_key_request(device.id, head_id, head.origin, canonical.b64url(spki))
    try:
        verify_p256_message(public_key(device), request, signature)
    except (SignatureError, DeviceKeyError):
        raise EnrolmentRefused(EnrolmentRefusal.BAD_DEVICE_SIGNATURE) from None
    if not owner_heads.may_vote_for(session, assembly_id, account.id, head_id, hasher=hasher,
                                    cipher=cipher):
        raise EnrolmentRefused(EnrolmentRefusal.NOT_YOUR_HEAD)
    voter = owner_heads.voter_of(session, account.owner_id, head.origin, hasher)
    with writing(session):
        _within_key_allowance(session, assembly_id, voter)
        # the log refuses a closed log, a head not in the roster, a key enrolled before
        for old in owner_heads.live_ballot_keys(session, assembly_id, voter, head_id):
            revoke_key(session, assembly_id, signer, old, "replaced")
        out = enroll_key(session, assembly_id, signer, head_id, spki, voter=voter)
    return BallotKeyEnrolled(key_id(spki), head_id, out.index)

