"""The owner account a completed verification makes or renews, and who it pushes out.

Verification is knowledge (name, ID number, certificate) plus an SMS code to a phone the
person holds, so an impostor who knows an owner's facts can verify with their own phone.
When anyone verifies as a person who already has an account — the real owner taking it
back, or an impostor taking it — the account is renewed and:

* every earlier sign-in of the account ends (server-side session records: remember-me
  cookies die with them), and its ``session_generation`` is raised, so a browser session
  that verified in an older generation can neither switch back to the account nor enrol
  a phone for it (:mod:`web.api.owner_session`);
* if the phone number changes, the number verified before is told by SMS, before the
  account forgets it — it is the displaced person who must hear of it.

Runs inside the caller's unit of work (:meth:`~ownervote.services.verification.
VerificationService.confirm`); an SMS that cannot be sent (:class:`~identity.errors.
SmsError`) undoes the whole confirmation.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.keyed import KeyedHasher
from identity.masking import mask_phone
from identity.pii import PiiCipher, account_phone_purpose, person_name_purpose
from identity.sms import SmsGateway
from identity.store import sessions
from identity.store.models import OwnerAccount, Verification
from ownervote.services.sign_in import account_principal

PHONE_REPLACED_TEXT = ("【业主电子投票】您的投票账户已于{time} UTC 改由手机 {phone} 验证，"
                       "本机的登录和投票密钥随之失效。如非本人操作，请立即用本人手机重新验证"
                       "并联系业主委员会。")


@dataclass(frozen=True)
class Renewal:
    account: OwnerAccount
    renewed: bool  # the account existed: this verification renewed it
    phone_replaced: bool  # it had another number, which was told by SMS


def make_or_renew(session: Session, v: Verification, phone: str, *, hasher: KeyedHasher,
                  cipher: PiiCipher, gateway: SmsGateway, now: dt.datetime) -> Renewal:
    """The account of ``v``'s holder for ``v``'s owner, verified now with ``phone``."""
    account = session.scalars(select(OwnerAccount).where(
        OwnerAccount.owner_id == v.owner_id,
        OwnerAccount.holder_id_hash == v.holder_id_hash)).first()
    renewed = account is not None
    displaced = None  # the number verified before, if this verification replaces it
    if account is None:
        account = OwnerAccount(key=secrets.token_hex(16), owner_id=v.owner_id,
                               holder_kind=v.holder_kind, holder_id_hash=v.holder_id_hash,
                               session_generation=0)
        session.add(account)
    else:
        before = cipher.decrypt_text(account.phone_enc, purpose=account_phone_purpose(account.key))
        displaced = before if before != phone else None
    account.representation_id = v.representation_id
    account.holder_kind = v.holder_kind
    account.phone_enc = cipher.encrypt_text(phone, purpose=account_phone_purpose(account.key))
    account.phone_hash = v.phone_hash or hasher.phone_hash(phone)
    account.phone_masked = mask_phone(phone)
    account.holder_name_enc = None
    if v.holder_name_enc is not None:
        name = cipher.decrypt_text(v.holder_name_enc,
                                   purpose=f"verification.holder:{v.token_hash}")
        account.holder_name_enc = cipher.encrypt_text(
            name, purpose=person_name_purpose("holder", account.key))
    account.verified_at, account.revoked_at = now, None
    account.session_generation += 1
    session.flush()
    sessions.end_all(session, account_principal(account.id), "reverified", now=now)
    if displaced is not None:
        gateway.send(displaced, PHONE_REPLACED_TEXT.format(time=f"{now:%Y-%m-%d %H:%M}",
                                                           phone=mask_phone(phone)))
    return Renewal(account, renewed, displaced is not None)
