"""Flask-Login, Flask-WTF (CSRF), Flask-Limiter and the database-outage answers.

Throttling (Flask-Limiter) counts in Redis when ``OWNERVOTE_REDIS_URL`` is set,
so every worker of every app server shares one count per client; without it
(the demo, development) each worker counts in its own memory.  Production
refuses to start without Redis (``ownervote serve``).  If Redis stops
answering, requests are not refused for it: each worker falls back to its own
in-memory counts until Redis is back (``RATELIMIT_IN_MEMORY_FALLBACK``).

Limits: staff sign-in and the owners' SMS codes (declared on their views),
and casting (:func:`cast_throttle`): per device key
(``OWNERVOTE_CAST_LIMIT_PER_KEY``, default 60 a day: a person changing their vote)
and, if set, per client address (``OWNERVOTE_CAST_LIMIT_PER_CLIENT``; by default the
reverse proxy limits requests per address, in C and before Python — each Redis-backed
limit costs the casting path about 0.7 ms of CPU, ``bench/cast.py``).

A refusal is ``429`` with ``Retry-After`` (seconds until the window resets) and
a clear message; other answers carry no rate-limit headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, make_response, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

F = TypeVar("F", bound=Callable[..., Any])


def _client_key() -> str:
    # Behind the reverse proxy, ProxyFix (see web.security) makes remote_addr the client's.
    return request.remote_addr or "unknown"


def _ballot_key() -> str:
    """The device key a ballot says it is signed with (its own bucket), else the client."""
    body = request.get_json(silent=True)
    payload = body.get("payload") if isinstance(body, dict) else None
    kid = payload.get("key") if isinstance(payload, dict) else None
    if isinstance(kid, str) and len(kid) == 64:
        return "key:" + kid
    return "client:" + _client_key()


login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=_client_key)


def _setting(name: str) -> Callable[[], str]:
    def value() -> str:
        return getattr(current_app.config["OWNERVOTE"], name) or "1 per second"

    return value


def _unset(name: str) -> Callable[[], bool]:
    def off() -> bool:
        return not getattr(current_app.config["OWNERVOTE"], name)

    return off


def cast_throttle(view: F) -> F:
    """Throttle ballot casting per device key and (if set) per client address."""
    limited = limiter.limit(_setting("cast_limit_per_key"), key_func=_ballot_key,
                            methods=["POST"], exempt_when=_unset("cast_limit_per_key"))(view)
    return limiter.limit(_setting("cast_limit_per_client"), key_func=_client_key,
                         methods=["POST"], exempt_when=_unset("cast_limit_per_client"))(limited)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["OWNERVOTE"].redis_prefix)
    # No X-RateLimit-* / Retry-After on every answer of a throttled view (Flask-Limiter would
    # put the window's reset time on a 201 or on a 503 "retry in 2 s"); a 429 says
    # Retry-After itself (below).
    app.config["RATELIMIT_HEADERS_ENABLED"] = False
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                          {"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    login_manager.init_app(app)
    login_manager.login_view = "public.home"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)

    from web import auth, resilience

    login_manager.user_loader(auth.load_user)
    resilience.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def _throttled(exc: RateLimitExceeded):
        from web.errors import error_response

        response = make_response(error_response(
            429, _("Too many attempts in a short time. Please wait a moment and try again."),
            "throttled"))
        current = limiter.current_limit
        wait = int(current.reset_at - time.time()) if current is not None else 60
        response.headers["Retry-After"] = str(max(1, wait))
        return response
