"""Sending SMS: the gateway interface, the HTTP backend, and phone numbers.

* :class:`HttpSmsGateway` (production): ``POST`` of ``{"to": phone, "text": …}``
  as JSON to ``OWNERVOTE_SMS_URL`` with ``Authorization: Bearer
  OWNERVOTE_SMS_KEY``; any non-2xx answer is an :class:`SmsError`.

:func:`identity.store.smsoutbox.make_gateway` picks it, or the demo outbox
(:class:`identity.store.smsoutbox.OutboxSmsGateway`), from the settings.  Phone numbers are
normalised by :func:`normalise_phone` (mainland mobiles only).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import urllib.error
import urllib.request
from typing import Protocol

from identity.errors import InvalidPhone, SmsError
from identity.masking import mask_phone

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
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered HTTP {status} for a message to "
                           f"{mask_phone(phone)}")
