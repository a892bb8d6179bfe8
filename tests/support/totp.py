"""One-time codes for test sign-ins.

The server accepts each TOTP time step once per account (replay protection)
and one step of clock drift, so a test that signs in twice within 30 seconds
must use the next step's code for the second sign-in.  This hands out the
oldest unused acceptable step per secret, waiting for the clock only when
both acceptable steps are used.
"""

from __future__ import annotations

import threading
import time

import pyotp

_lock = threading.Lock()
_last_step: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    with _lock:
        while True:
            current = totp.timecode(time.time())
            step = max(current, _last_step.get(secret, current - 1) + 1)
            if step <= current + 1:
                _last_step[secret] = step
                return totp.generate_otp(step)
            time.sleep(0.5)
