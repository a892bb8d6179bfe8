"""The demo SMS outbox, and picking the gateway from the settings.

:class:`OutboxSmsGateway` (demo and development) writes each message to the
``sms_outbox`` table — in the same transaction as the step that sent it — and
logs it with the phone masked.  The demo page reads the outbox with
:func:`outbox` to show the one-time code.  Never used in production.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import SmsError
from identity.keyed import KeyedHasher
from identity.masking import mask_phone
from identity.sms import HttpSmsGateway, SmsGateway, normalise_phone
from identity.store.models import SmsOutbox

log = logging.getLogger(__name__)


class OutboxSmsGateway:
    """Demo backend: the message goes to the ``sms_outbox`` table and the log (phone masked)."""

    def __init__(self, session: Session, hasher: KeyedHasher) -> None:
        self.session = session
        self.hasher = hasher

    def send(self, phone: str, text: str) -> None:
        masked = mask_phone(phone)
        self.session.add(SmsOutbox(phone_hash=self.hasher.phone_hash(phone), phone_masked=masked,
                                   body=text))
        log.info("demo SMS to %s: %s", masked, text)


def make_gateway(settings: Any, session: Session) -> SmsGateway:
    """HTTP backend when ``sms_url`` is set; else the outbox (refused in production)."""
    if settings.sms_url:
        if not settings.sms_key:
            raise SmsError("OWNERVOTE_SMS_URL is set but OWNERVOTE_SMS_KEY is not")
        return HttpSmsGateway(settings.sms_url, settings.sms_key)
    if settings.production:
        raise SmsError("production needs OWNERVOTE_SMS_URL and OWNERVOTE_SMS_KEY; the demo "
                       "outbox never sends real messages")
    return OutboxSmsGateway(session, KeyedHasher.from_settings(settings))


@dataclass(frozen=True)
class OutboxMessage:
    phone_masked: str
    body: str
    created_at: dt.datetime


def outbox(session: Session, *, phone: str | None = None, hasher: KeyedHasher | None = None,
           limit: int = 20) -> list[OutboxMessage]:
    """The latest demo messages, newest first; only those to ``phone`` if given."""
    statement = select(SmsOutbox).order_by(SmsOutbox.id.desc()).limit(limit)
    if phone is not None:
        if hasher is None:
            raise ValueError("filtering the outbox by phone needs the keyed hasher")
        statement = statement.where(SmsOutbox.phone_hash == hasher.phone_hash(
            normalise_phone(phone)))
    return [OutboxMessage(m.phone_masked, m.body, m.created_at)
            for m in session.scalars(statement)]
