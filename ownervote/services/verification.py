"""Owner verification: registry match → phone → one-time code → owner account.

Steps (each one unit of work, :func:`~ownervote.services.unit_of_work.writing`,
**committed success or failure**, so that throttling counters and audit events persist
across workers; a refusal that counts is returned from inside the unit and raised after
its commit):

1. :meth:`VerificationService.match` — name + ID number + certificate number
   (or building + unit) are compared with the owners of that unit in the
   community's current roster, and with their recorded representatives
   (guardians, legal persons' representatives).  The comparison is constant
   time (``hmac.compare_digest`` on keyed digests, no early exit) and does the
   same work whether or not the claimed person exists: it depends only on how
   many owners the claimed unit has (a dummy owner stands in for a unit that
   does not exist).  Returns a random token (only its SHA-256 is stored).
2. :meth:`VerificationService.send_code` — a mainland mobile number; a
   6-digit code valid 10 minutes is sent by SMS (resend after 60 s).
3. :meth:`VerificationService.confirm` — the code; 5 wrong codes end the
   verification.  Creates or renews the :class:`OwnerAccount` of this holder
   for this owner (:func:`ownervote.services.owner_accounts.make_or_renew`: a new
   phone replaces the old one, which is told by SMS; every earlier sign-in of the
   account ends) and returns it.

Errors are :class:`identity.errors.VerificationError` subclasses with a stable
``code``.  A failed match never says which part was wrong.

The accounts it creates are read with :func:`active_account`; the demo's SMS outbox
(never in production) with :func:`demo_message`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import idnumbers
from identity.errors import (
    CodeInvalid,
    IdNumberError,
    InvalidIdNumber,
    NotAPerson,
    NotMatched,
    ResendTooSoon,
    VerificationError,
    VerificationExpired,
)
from identity.keyed import KeyedHasher
from identity.masking import mask_name, mask_phone
from identity.pii import PiiCipher, owner_name_purpose, person_name_purpose
from identity.sms import SmsGateway, normalise_phone
from identity.store import attempts, rosters, throttle
from identity.store.models import (
    Building,
    Owner,
    OwnerAccount,
    Ownership,
    Representation,
    Unit,
    UnitRecord,
    Verification,
)
from identity.store.smsoutbox import OutboxMessage, outbox
from ownervote.audit import record
from ownervote.db import utcnow
from ownervote.services import owner_accounts
from ownervote.services.unit_of_work import writing

TOKEN_LIFETIME = dt.timedelta(minutes=30)
CODE_LIFETIME = dt.timedelta(minutes=10)
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_CODE_ATTEMPTS = 5
SMS_TEXT = "【业主电子投票】验证码 {code}，10分钟内有效。请勿告诉任何人，工作人员不会向您索要。"


@dataclass(frozen=True)
class Claim:
    """What a person types on the verification page."""

    community_id: int
    name: str
    id_type: str
    id_number: str
    certificate_no: str | None = None
    building: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Matched:
    token: str
    expires_at: dt.datetime
    owner_id: int
    owner_name_masked: str  # 张*明: shown so the person sees whose behalf they act on
    holder_kind: str  # self | guardian | legal_representative
    units: tuple[str, ...]  # labels of the owner's units in the current roster


@dataclass(frozen=True)
class CodeSent:
    phone_masked: str
    code_expires_at: dt.datetime
    resend_at: dt.datetime


@dataclass(frozen=True)
class Verified:
    account_id: int
    account_key: str
    owner_id: int
    holder_kind: str
    phone_masked: str
    renewed: bool  # an existing account of this holder was verified again
    generation: int  # the account's session generation this verification began
    phone_replaced: bool  # another number was verified before: it was told by SMS


@dataclass
class _Candidate:
    owner_id: int
    id_hash: str
    name_enc: bytes
    purpose: str
    kind: str  # self | guardian | legal_representative
    organisation: bool = False
    representation_id: int | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean(text: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


class VerificationService:
    """The verification steps over one session; build with :meth:`from_settings`."""

    def __init__(self, session: Session, *, hasher: KeyedHasher, cipher: PiiCipher,
                 gateway: SmsGateway, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.session, self.hasher, self.cipher = session, hasher, cipher
        self.gateway, self.clock = gateway, clock
        self._dummy = _Candidate(0, secrets.token_hex(32), cipher.encrypt_text(
            "\u3007" * 3, purpose="dummy"), "dummy", "self")

    @classmethod
    def from_settings(cls, session: Session, settings: Any,
                      gateway: SmsGateway | None = None) -> VerificationService:
        """Raises :class:`~identity.errors.SmsError` when no SMS gateway may be used."""
        from identity.store.smsoutbox import make_gateway

        return cls(session, hasher=KeyedHasher.from_settings(settings),
                   cipher=PiiCipher.from_settings(settings),
                   gateway=gateway or make_gateway(settings, session))

    def _client(self, client: str) -> str:
        return self.hasher.opaque("client", client)

    def _fail(self, event: str, client_key: str, policies: list[tuple[throttle.Policy, str]],
              error: VerificationError, **detail: Any) -> VerificationError:
        now = self.clock()
        for policy, key in policies:
            throttle.fail(self.session, policy, key, now)
        record(self.session, f"client:{client_key[:16]}", event, "", reason=error.code, **detail)
        return error  # raised by the caller once the unit has committed the count

    # -- step 1 ------------------------------------------------------------------------------

    def match(self, claim: Claim, *, client: str) -> Matched:
        with writing(self.session):
            outcome = self._match(claim, client)
        if isinstance(outcome, VerificationError):
            raise outcome
        return outcome

    def _match(self, claim: Claim, client: str) -> Matched | VerificationError:
        now = self.clock()
        client_key = self._client(client)
        throttle.check(self.session, throttle.VERIFY_CLIENT, client_key, now)
        try:
            id_type, number = idnumbers.validate(claim.id_type, claim.id_number)
        except IdNumberError as exc:
            err = InvalidIdNumber(str(exc))
            return self._fail("identity.verify.failed", client_key,
                              [(throttle.VERIFY_CLIENT, client_key)], err)
        claimed = self.hasher.id_hash(id_type, number)
        keys = attempts.match_keys(
            self.hasher, client_key, claim.community_id, claimed, name=claim.name,
            certificate=_clean(claim.certificate_no), building=_clean(claim.building),
            unit=_clean(claim.unit))
        attempts.check_match(self.session, keys, now)

        candidates, unit_ids = self._candidates(claim)
        wanted_id = claimed.encode()
        wanted_name = self.hasher.name_digest(claim.name)
        found: _Candidate | None = None
        for cand in candidates or [self._dummy]:
            id_ok = hmac.compare_digest(cand.id_hash.encode(), wanted_id)
            name = self.cipher.decrypt_text(cand.name_enc, purpose=cand.purpose)
            name_ok = hmac.compare_digest(self.hasher.name_digest(name), wanted_name)
            if id_ok & name_ok & bool(candidates):
                found = cand
        if found is None:
            attempts.match_failed(self.session, keys, now, community_id=claim.community_id,
                                  claimed_id_hash=claimed)
            return self._fail("identity.verify.failed", client_key,
                              [(throttle.VERIFY_CLIENT, client_key)], NotMatched(
                                  "the name, ID number and unit do not match the registry; "
                                  "check them, or ask the committee to review your case"))
        if found.organisation and found.kind == "self":
            return self._fail("identity.verify.failed", client_key, [], NotAPerson(
                "an organisation votes through its legal representative, recorded by the "
                "committee"))
        attempts.match_succeeded(self.session, keys)
        token = secrets.token_urlsafe(32)
        th = _token_hash(token)
        holder_name = None
        if found.kind != "self":
            holder_name = self.cipher.encrypt_text(claim.name,
                                                   purpose=f"verification.holder:{th}")
        verification = Verification(
            token_hash=th, community_id=claim.community_id, owner_id=found.owner_id,
            holder_kind=found.kind, holder_id_hash=claimed, holder_name_enc=holder_name,
            representation_id=found.representation_id, expires_at=now + TOKEN_LIFETIME,
            created_at=now)
        self.session.add(verification)
        owner = self.session.get(Owner, found.owner_id)
        assert owner is not None
        record(self.session, f"client:{client_key[:16]}", "identity.verify.matched",
               f"owner:{owner.id}", holder_kind=found.kind, units=len(unit_ids))
        return Matched(token, verification.expires_at, owner.id, mask_name(
            self.cipher.decrypt_text(owner.name_enc, purpose=owner_name_purpose(owner.id_hash))),
            found.kind, self._owner_units(claim.community_id, owner.id))

    def _candidates(self, claim: Claim) -> tuple[list[_Candidate], list[int]]:
        version = rosters.latest_version(self.session, claim.community_id)
        if version is None:
            return [], []
        query = (select(UnitRecord.unit_id).join(Unit, Unit.id == UnitRecord.unit_id)
                 .where(UnitRecord.roster_version_id == version.id))
        certificate = _clean(claim.certificate_no)
        building, unit = _clean(claim.building), _clean(claim.unit)
        if not certificate and not (building and unit):
            raise VerificationError("give the certificate number, or the building and unit")
        if certificate:
            query = query.where(UnitRecord.certificate_hash ==
                                self.hasher.certificate_hash(certificate))
        if building and unit:
            query = (query.join(Building, Building.id == Unit.building_id)
                     .where(Building.name == building, Unit.number == unit))
        unit_ids = list(self.session.scalars(query))
        if not unit_ids:
            return [], []
        owners = self.session.execute(
            select(Owner.id, Owner.id_hash, Owner.name_enc, Owner.kind)
            .join(Ownership, Ownership.owner_id == Owner.id)
            .where(Ownership.roster_version_id == version.id, Ownership.unit_id.in_(unit_ids))
        ).all()
        out = [_Candidate(o.id, o.id_hash, o.name_enc, owner_name_purpose(o.id_hash), "self",
                          o.kind == "organisation") for o in owners]
        for rep in self.session.scalars(select(Representation).where(
                Representation.owner_id.in_([o.id for o in owners]),
                Representation.revoked_at.is_(None))):
            out.append(_Candidate(rep.owner_id, rep.person_id_hash, rep.name_enc,
                                  person_name_purpose("representative", rep.reference),
                                  rep.kind, representation_id=rep.id))
        return out, unit_ids

    def _owner_units(self, community_id: int, owner_id: int) -> tuple[str, ...]:
        version = rosters.latest_version(self.session, community_id)
        if version is None:
            return ()
        rows = self.session.execute(
            select(Building.name, Unit.number).join(Unit, Unit.building_id == Building.id)
            .join(Ownership, Ownership.unit_id == Unit.id)
            .where(Ownership.roster_version_id == version.id, Ownership.owner_id == owner_id)
            .order_by(Building.name, Unit.number))
        return tuple(f"{b}-{n}" for b, n in rows)

    # -- step 2 ------------------------------------------------------------------------------

    def _pending(self, token: str, now: dt.datetime) -> Verification:
        v = self.session.scalars(select(Verification).where(
            Verification.token_hash == _token_hash(token))).first()
        if v is None or v.completed_at is not None or v.expires_at <= now:
            raise VerificationExpired("this verification has expired or was completed; "
                                      "start again")
        return v

    def send_code(self, token: str, phone: str, *, client: str) -> CodeSent:
        """Raises :class:`~identity.errors.SmsError` (nothing kept) if the SMS is not sent."""
        with writing(self.session):
            return self._send_code(token, phone, client)

    def _send_code(self, token: str, phone: str, client: str) -> CodeSent:
        now = self.clock()
        v = self._pending(token, now)
        number = normalise_phone(phone)
        if v.code_sent_at is not None and now < v.code_sent_at + RESEND_AFTER:
            raise ResendTooSoon(v.code_sent_at + RESEND_AFTER)
        client_key = self._client(client)
        attempts.code_requested(self.session, self.hasher, client_key=client_key,
                                claimant_id_hash=v.holder_id_hash, phone=number, now=now)
        code = f"{secrets.randbelow(10**6):06d}"
        v.code_hash = self.hasher.opaque("sms-code", f"{v.token_hash}:{code}")
        v.phone_enc = self.cipher.encrypt_text(number, purpose=f"verification.phone:{v.token_hash}")
        v.phone_hash = self.hasher.phone_hash(number)
        v.code_sent_at, v.code_attempts = now, 0
        self.gateway.send(number, SMS_TEXT.format(code=code))
        record(self.session, f"client:{client_key[:16]}", "identity.verify.code_sent",
               f"owner:{v.owner_id}")
        return CodeSent(mask_phone(number), now + CODE_LIFETIME, now + RESEND_AFTER)

    # -- step 3 ------------------------------------------------------------------------------

    def confirm(self, token: str, code: str, *, client: str) -> Verified:
        with writing(self.session):
            outcome = self._confirm(token, code, client)
        if isinstance(outcome, VerificationError):
            raise outcome
        return outcome

    def _confirm(self, token: str, code: str, client: str) -> Verified | VerificationError:
        now = self.clock()
        client_key = self._client(client)
        throttle.check(self.session, throttle.CODE_CLIENT, client_key, now)
        v = self._pending(token, now)
        if v.code_hash is None or v.code_sent_at is None or v.phone_enc is None:
            raise VerificationExpired("no code was sent for this verification yet")
        if now >= v.code_sent_at + CODE_LIFETIME:
            raise VerificationExpired("the code has expired; ask for a new one")
        given = _clean(code)
        ok = hmac.compare_digest(self.hasher.opaque("sms-code", f"{v.token_hash}:{given}"),
                                 v.code_hash)
        if not ok:
            v.code_attempts += 1
            left = MAX_CODE_ATTEMPTS - v.code_attempts
            if left <= 0:
                v.expires_at = now  # this verification is over
            return self._fail("identity.verify.code_failed", client_key,
                              [(throttle.CODE_CLIENT, client_key)], CodeInvalid(max(left, 0)),
                              owner=v.owner_id)
        phone = self.cipher.decrypt_text(v.phone_enc, purpose=f"verification.phone:{v.token_hash}")
        made = owner_accounts.make_or_renew(self.session, v, phone, hasher=self.hasher,
                                            cipher=self.cipher, gateway=self.gateway, now=now)
        account, renewed = made.account, made.renewed
        owner = self.session.get(Owner, v.owner_id)
        assert owner is not None
        if owner.verified_at is None:
            owner.verified_at = now
        v.completed_at = now
        v.phone_enc = v.holder_name_enc = None  # the account keeps them; the verification need not
        self.session.flush()
        record(self.session, f"account:{account.key}", "identity.verify.completed",
               f"owner:{owner.id}", holder_kind=v.holder_kind, renewed=renewed)
        return Verified(account.id, account.key, owner.id, account.holder_kind,
                        account.phone_masked, renewed, account.session_generation,
                        made.phone_replaced)


def active_account(session: Session, account_id: int | None) -> OwnerAccount | None:
    """The account, unless it does not exist or was revoked."""
    account = session.get(OwnerAccount, account_id) if account_id is not None else None
    if account is None or account.revoked_at is not None:
        return None
    return account


def demo_message(session: Session, phone: str, *, hasher: KeyedHasher) -> OutboxMessage | None:
    """The newest message the demo's SMS outbox holds for ``phone`` (None: none)."""
    latest = outbox(session, phone=phone, hasher=hasher, limit=1)
    return latest[0] if latest else None
