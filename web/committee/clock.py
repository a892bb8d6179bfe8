"""The committee console's clock, with a test/demo-only offset.

``now()`` is the real UTC time, to the second.  Outside production it may be
shifted forward by ``OWNERVOTE_CLOCK_OFFSET`` (e.g. ``16d``, ``36h``, ``90m``,
``3600s``), read from the environment when the application starts (or set as
``app.config["OWNERVOTE_CLOCK_OFFSET"]`` to a ``timedelta``).  The browser
tests use it to reach dates the 15-day notice period puts weeks away: they
start a second server on the same database with the clock moved on, instead
of rewriting stored timestamps (which would break the ledger's signed
entries).  A production server refuses to start with an offset, and every
console page shows a banner while one is in force.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from flask import Flask, current_app

CONFIG_KEY = "OWNERVOTE_CLOCK_OFFSET"
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_offset(text: str) -> dt.timedelta:
    """``"16d"`` → 16 days; ``""`` → zero.  Several parts may be combined: ``"1d12h"``."""
    text = text.strip().lower()
    if not text:
        return dt.timedelta(0)
    parts = re.fullmatch(r"(?:\d+[dhms])+", text)
    if parts is None:
        raise ValueError(f"{CONFIG_KEY}: {text!r} is not like 16d, 36h, 90m or 3600s")
    delta = dt.timedelta(0)
    for amount, unit in re.findall(r"(\d+)([dhms])", text):
        delta += dt.timedelta(**{_UNITS[unit]: int(amount)})
    return delta


def init_app(app: Flask) -> None:
    settings = app.config["OWNERVOTE"]
    configured = app.config.get(CONFIG_KEY)
    offset = configured if isinstance(configured, dt.timedelta) else parse_offset(
        os.environ.get(CONFIG_KEY, ""))
    if offset and settings.production:
        raise RuntimeError(f"{CONFIG_KEY} is a test and demo setting; a production server "
                           "never runs on a shifted clock")
    app.config[CONFIG_KEY] = offset


def offset() -> dt.timedelta:
    value = current_app.config.get(CONFIG_KEY) or dt.timedelta(0)
    if current_app.config["OWNERVOTE"].production:
        return dt.timedelta(0)
    return value


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + offset()
