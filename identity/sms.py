"""Sending SMS: a gateway interface, a demo outbox backend and an HTTP backend.

* :class:`OutboxSmsGateway` (demo and development): writes each message to
  the ``sms_outbox`` table — in the same transaction as the step that sent it
  — and logs it with the phone masked.  The demo page reads the outbox with
  :func:`outbox` to show the one-time code.  Never used in production.
* :class:`HttpSmsGateway` (production): ``POST`` of ``{"to": phone, "text": …}``
  as JSON to ``OWNERVOTE_SMS_URL`` with ``Authorization: Bearer
  OWNERVOTE_SMS_KEY``; any non-2xx answer is an :class:`SmsError`.

:func:`make_gateway` picks one from the settings.  Phone numbers are
normalised by :func:`normalise_phone` (mainland mobiles only).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity.errors import InvalidPhone, SmsError
from identity.keyed import KeyedHasher
from identity.masking import mask_phone
from identity.models import SmsOutbox

log = logging.getLogger(__name__)

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalise_phone(phone: str) -> str:
    """``+86 138-1234-5678`` → ``13812345678``; anything but a mainland mobile is refused."""
    text = unicodedata.normalize("NFKC", phone)
    digits = "".join(c for c in text if c.isdigit() or c == "+")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix):]
            break
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone("a mainland mobile number has 11 digits starting with 13-19")
    return digits


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to the normalised mainland mobile ``phone`` or raise SmsError."""


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


class HttpSmsGateway:
    """Production backend: JSON ``POST`` to a provider's (or an internal relay's) URL."""

    def __init__(self, url: str, key: str, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise SmsError("OWNERVOTE_SMS_URL must be an http(s) URL")
        self.url, self.key, self.timeout = url, key, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered HTTP {status} for a message to "
                           f"{mask_phone(phone)}")


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
