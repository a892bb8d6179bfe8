"""Enrolled device keys: one phone per owner account, revoked when replaced or lost.

:func:`enrol` checks the phone's public key (:func:`identity.devicekeys.load_p256`),
stores it under its id (:func:`identity.devicekeys.key_id`) and revokes every
earlier key of the account: one
account, one phone.  The owner is told by SMS (to the account's phone) that a
new phone was enrolled, so a hijack does not go unnoticed.  The ledger
records each enrolment in the logs of the assemblies the owner votes in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.devicekeys import key_id, load_p256
from identity.errors import DeviceKeyError
from identity.pii import PiiCipher, account_phone_purpose
from identity.sms import SmsGateway
from identity.store.models import DeviceKey, OwnerAccount
from ownervote.audit import record
from ownervote.db import utcnow

NEW_DEVICE_TEXT = ("【业主电子投票】您的投票账户已在一部新手机上启用（{time} UTC），"
                   "旧手机的投票密钥已作废。如非本人操作，请立即联系业主委员会。")


@dataclass(frozen=True)
class Enrolment:
    key: DeviceKey
    revoked: tuple[str, ...]  # ids of the keys this enrolment revoked


def enrol(session: Session, account: OwnerAccount, spki_der: bytes, *, cipher: PiiCipher,
          gateway: SmsGateway, now: dt.datetime | None = None) -> Enrolment:
    """Enrol the account's new phone key; revoke older keys; tell the owner by SMS.

    Adds to the session's transaction (the caller commits, after the ledger
    has recorded the enrolment).  Raises :class:`DeviceKeyError` for a bad key,
    a revoked account, or a key enrolled before (keys are never reused).
    """
    now = now or utcnow()
    if account.revoked_at is not None:
        raise DeviceKeyError(f"account {account.key} is revoked")
    load_p256(spki_der)
    kid = key_id(bytes(spki_der))
    if session.get(DeviceKey, kid) is not None:
        raise DeviceKeyError(f"device key {kid[:16]}… is already enrolled; make a new key pair")
    revoked = []
    for old in session.scalars(select(DeviceKey).where(DeviceKey.account_id == account.id,
                                                       DeviceKey.revoked_at.is_(None))):
        old.revoked_at, old.revoke_reason = now, "replaced"
        revoked.append(old.id)
    key = DeviceKey(id=kid, account_id=account.id, public_key=bytes(spki_der), created_at=now)
    session.add(key)
    session.flush()
    record(session, f"account:{account.key}", "device.enrol", f"device:{kid}",
           owner=account.owner_id, revoked=revoked)
    if revoked:
        phone = cipher.decrypt_text(account.phone_enc, purpose=account_phone_purpose(account.key))
        gateway.send(phone, NEW_DEVICE_TEXT.format(time=f"{now:%Y-%m-%d %H:%M}"))
    return Enrolment(key, tuple(revoked))


def revoke(session: Session, key_id_: str, *, reason: str, actor: str,
           now: dt.datetime | None = None) -> DeviceKey:
    """Revoke a key (lost phone, committee decision); idempotent."""
    key = session.get(DeviceKey, key_id_)
    if key is None:
        raise DeviceKeyError(f"no device key {key_id_[:16]}…")
    if key.revoked_at is None:
        key.revoked_at, key.revoke_reason = now or utcnow(), reason[:40]
        record(session, actor, "device.revoke", f"device:{key.id}", reason=reason[:40])
    return key


def active_key(session: Session, account_id: int) -> DeviceKey | None:
    return session.scalars(select(DeviceKey).where(DeviceKey.account_id == account_id,
                                                   DeviceKey.revoked_at.is_(None))).first()


def key_valid_at(key: DeviceKey, at: dt.datetime) -> bool:
    """Was ``key`` enrolled and not yet revoked at ``at`` (for checking a ballot signature)?"""
    return key.created_at <= at and (key.revoked_at is None or at < key.revoked_at)


def public_key(key: DeviceKey) -> ec.EllipticCurvePublicKey:
    return load_p256(key.public_key)
