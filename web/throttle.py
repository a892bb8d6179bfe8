"""The casting throttle: per device key, and per client address if set.

* Per device key (``OWNERVOTE_CAST_LIMIT_PER_KEY``, default 60 a day: a person
  changing their vote): counted by the ballot's batch (:attr:`ledger.sequencer.
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
``Retry-After``.  If the storage does not answer, casting goes on without the
throttle (logged).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import RateLimitExceeded

from web.extensions import client_key, limiter

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


class CastThrottled(RateLimitExceeded):
    """A casting limit was reached (answered like any Flask-Limiter refusal)."""

    def __init__(self, reset_at: float) -> None:  # noqa: D107 - no Limit object here
        Exception.__init__(self, "casting throttled")
        self.code, self.description, self.reset_at = 429, "casting throttled", reset_at


@functools.lru_cache(maxsize=32)
def _items(value: str) -> tuple:
    from limits import parse_many

    return tuple(parse_many(value)) if value else ()


def _counts(counters: list[tuple[Any, tuple[str, ...]]]) -> list[int]:
    """Add one to each ``(limit item, identifiers)`` counter; the new counts.  Redis: one
    transaction for all — each counter created at 0 with its window's expiry if absent
    (so it cannot outlive its window), then incremented."""
    storage = limiter.limiter.storage
    keys = [(item.key_for(*ids), item.get_expiry()) for item, ids in counters]
    if type(storage).__name__ != "RedisStorage":
        return [storage.incr(key, expiry) for key, expiry in keys]
    pipe = storage.get_connection().pipeline(transaction=True)
    for key, expiry in keys:
        pipe.set(key, 0, ex=expiry, nx=True)
        pipe.incr(key)
    return [int(n) for n in pipe.execute()[1::2]]


def _refusal(counters: list[tuple[Any, tuple[str, ...]]], counts: list[int]
             ) -> CastThrottled | None:
    for (item, ids), count in zip(counters, counts, strict=True):
        if count > item.amount:
            return CastThrottled(limiter.limiter.get_window_stats(item, *ids).reset_time)
    return None


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
            counts = iter(_counts([c for counters in per_ballot for c in counters]))
            return [_refusal(counters, [next(counts) for _ in counters])
                    for counters in per_ballot]
        except Exception:  # noqa: BLE001 - Redis away: casting must not stop for it
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
                refusal = _refusal(counters, _counts(counters))
            except Exception:  # noqa: BLE001 - Redis away: casting must not stop for it
                current_app.logger.warning("casting throttle storage unavailable",
                                           exc_info=True)
                refusal = None
            if refusal is not None:
                raise refusal
        return view(*args, **kwargs)

    return throttled  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Count the per-key limit in the batches of this app's database (its sequencer)."""
    from ledger import sequencer

    sequencer.for_engine(app.extensions["ownervote.engine"]).gate = key_gate(app)
