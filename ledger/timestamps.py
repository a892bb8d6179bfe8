"""Entry times: Unix milliseconds, exactly (the ``time`` field of every entry)."""

from __future__ import annotations

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def now_ms(now: dt.datetime | None = None) -> int:
    """Unix milliseconds of ``now`` (default: the current time), exactly."""
    return ((now or dt.datetime.now(dt.UTC)) - _EPOCH) // dt.timedelta(milliseconds=1)


def ms_to_datetime(ms: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=ms)
