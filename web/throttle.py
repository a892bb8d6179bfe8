"""The casting throttle: per device key, and per client address if set; and each head's
casting allowance.

* Per head (``OWNERVOTE_CAST_LIMIT_PER_HEAD``, default 60 a day): the allowance that
  counts — at most so many accepted phone ballots of one home in any such window,
  counted from the home's own ballots in the log under the log's lock
  (:mod:`ledger.allowance`), so a new voting key does not start a new count, and a
  ballot naming another home or signed by a revoked key (both refused) uses up nothing.
  No counter store: it costs no round trip.  Refused: ``429 too_many_requests`` with
  ``retry_at``.

* Per device key (``OWNERVOTE_CAST_LIMIT_PER_KEY``, default 60 a day: a person
  changing their vote): counted by the ballot's batch (:attr:`ledger.store.sequencer.
  Sequencer.gate`), after the ballot's shape and signature were checked — only a
  ballot a device really signed counts against it — and before the log's lock.
  The batch's ballots are counted together: with Redis, one ``MULTI``/``EXEC``
  pipeline for all of them instead of one round trip per request (a request's
  own Redis call cost about a seventh of its CPU, py-spy on bench/cast.py).
* Per client address (``OWNERVOTE_CAST_LIMIT_PER_CLIENT``, off by default: the
  reverse proxy limits requests per address, in C and before Python): counted
  for every request before the view (:func:`cast_throttle`), whatever it holds.

Both count in Flask-Limiter's storage, with its keys and fixed windows (Redis
when ``OWNERVOTE_REDIS_URL`` is set, so every worker of every app server
shares one count; else each worker's memory), and a refusal is its ``429`` with
``Retry-After``.  If Redis does not answer, each worker counts in its own memory
for a few seconds before trying Redis again (logged), so casting never waits for it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from flask_limiter import RateLimitExceeded
from limits.storage import MemoryStorage

from ledger.allowance import Window
from web.extensions import client_key, limiter

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


class CastThrottled(RateLimitExceeded):
    """A casting limit was reached (answered like any Flask-Limiter refusal)."""

    def __init__(self, reset_at: float) -> None:  # not RateLimitExceeded's: no Limit here
        Exception.__init__(self, "casting throttled")
        self.code, self.description, self.reset_at = 429, "casting throttled", reset_at


@functools.lru_cache(maxsize=32)
def _items(value: str) -> tuple:
    from limits import parse_many

    return tuple(parse_many(value)) if value else ()


#: After Redis failed to answer, count in this process's memory for so long (seconds).
STORAGE_RETRY_SECONDS = 10.0
_fallback = MemoryStorage()
_redis_down_until = 0.0


def _is_redis(storage: Any) -> bool:
    return type(storage).__name__ == "RedisStorage"


def _counts(storage: Any, keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each ``(key, window seconds)`` counter; the new counts.  Redis: one
    transaction for all — each counter created at 0 with its window's expiry if absent
    (so it cannot outlive its window), then incremented."""
    if not _is_redis(storage):
        return [storage.incr(key, expiry) for key, expiry in keys]
    pipe = storage.get_connection().pipeline(transaction=True)
    for key, expiry in keys:
        pipe.set(storage.prefixed_key(key), 0, ex=expiry, nx=True)
        pipe.incr(storage.prefixed_key(key))
    return [int(n) for n in pipe.execute()[1::2]]


def _count(counters: Sequence[tuple[Any, tuple[str, ...]]]) -> list[CastThrottled | None]:
    """Count one hit on each ``(limit item, identifiers)``; per counter, its refusal (the
    count went over the limit) or None.  If Redis does not answer, the counts go to this
    process's memory for :data:`STORAGE_RETRY_SECONDS` (logged), as Flask-Limiter's own
    fallback does — casting never waits for a Redis that is away, batch after batch."""
    global _redis_down_until
    storage = limiter.limiter.storage
    if _is_redis(storage) and time.monotonic() < _redis_down_until:
        storage = _fallback
    keys = [(item.key_for(*ids), item.get_expiry()) for item, ids in counters]
    try:
        counts = _counts(storage, keys)
    except Exception:
        if not _is_redis(storage):
            raise
        _redis_down_until = time.monotonic() + STORAGE_RETRY_SECONDS
        log.warning("casting throttle: Redis does not answer; counting in this worker's "
                    "memory for %d s", STORAGE_RETRY_SECONDS, exc_info=True)
        storage = _fallback
        counts = _counts(storage, keys)
    return [CastThrottled(storage.get_expiry(key)) if n > item.amount else None
            for (item, _ids), (key, _w), n in zip(counters, keys, counts, strict=True)]


def _first(verdicts: list[CastThrottled | None]) -> CastThrottled | None:
    return next((v for v in verdicts if v is not None), None)


def key_gate(app: Flask) -> Callable[[list[dict[str, Any]]], list[BaseException | None]]:
    """The per-device-key limit as a sequencer gate for ``app``'s ballots."""

    def admit(payloads: list[dict[str, Any]]) -> list[BaseException | None]:
        limits = _items(app.config["OWNERVOTE"].cast_limit_per_key)
        if not limits or not app.config.get("RATELIMIT_ENABLED", True):
            return [None] * len(payloads)
        prefix = app.config["RATELIMIT_KEY_PREFIX"]
        per_ballot = [[(item, (prefix, "key:" + p["key"], "cast-key")) for item in limits]
                      for p in payloads]
        try:
            verdicts = iter(_count([c for counters in per_ballot for c in counters]))
            return [_first([next(verdicts) for _ in counters]) for counters in per_ballot]
        except Exception:  # Redis away: casting must not stop for it (logged)
            log.warning("casting throttle storage unavailable", exc_info=True)
            return [None] * len(payloads)

    return admit


def cast_throttle(view: F) -> F:
    """Count every casting request against the per-client limit, if one is set (counted
    directly in Flask-Limiter's storage: its decorator's bookkeeping cost the casting
    path ~10 % of its CPU, py-spy on bench/cast.py)."""

    @functools.wraps(view)
    def throttled(*args: Any, **kwargs: Any) -> Any:
        limits = _items(current_app.config["OWNERVOTE"].cast_limit_per_client)
        if limits and limiter.enabled and request.method == "POST":
            counters = [(item, (current_app.config["RATELIMIT_KEY_PREFIX"],
                                "client:" + client_key(), "cast-client")) for item in limits]
            try:
                refusal = _first(_count(counters))
            except Exception:  # Redis away: casting must not stop for it (logged)
                current_app.logger.warning("casting throttle storage unavailable",
                                           exc_info=True)
                refusal = None
            if refusal is not None:
                raise refusal
        return view(*args, **kwargs)

    return cast(F, throttled)  # functools.wraps: the view's signature, unchanged


def head_allowance(value: str) -> list[Window]:
    """``OWNERVOTE_CAST_LIMIT_PER_HEAD`` (Flask-Limiter notation) as allowance windows."""
    return [Window(item.amount, item.get_expiry() * 1000) for item in _items(value)]


def init_app(app: Flask) -> None:
    """Count the per-key limit in the batches of this app's database (its sequencer), and
    give each head its casting allowance there."""
    from ownervote.services import casting

    engine = app.extensions["ownervote.engine"]
    casting.install_gate(engine, key_gate(app))
    casting.install_allowance(engine, head_allowance(app.config["OWNERVOTE"].cast_limit_per_head)
                              if app.config.get("RATELIMIT_ENABLED", True) else [])
