"""Flask-Login, Flask-WTF (CSRF), Flask-Limiter and the database-outage answers.

Throttling (Flask-Limiter) counts in Redis when ``OWNERVOTE_REDIS_URL`` is set,
so every worker of every app server shares one count per client; without it
(the demo, development) each worker counts in its own memory.  Production
refuses to start without Redis (``ownervote serve``).  If Redis stops
answering, requests are not refused for it: each worker falls back to its own
in-memory counts until Redis is back (``RATELIMIT_IN_MEMORY_FALLBACK``).

Limits: staff sign-in and the owners' SMS codes (declared on their views),
and casting (:mod:`web.throttle`).

A refusal is ``429`` with ``Retry-After`` (seconds until the window resets) and
a clear message; other answers carry no rate-limit headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, make_response, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

F = TypeVar("F", bound=Callable[..., Any])


def client_key() -> str:
    """Who a request is from, for throttling: the client's address."""
    # Behind the reverse proxy, ProxyFix (see web.security) makes remote_addr the client's.
    return request.remote_addr or "unknown"


login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_key)


def _drop_empty_default_pass(app: Flask) -> None:
    """Only limits declared on views exist here, and their decorators check them.  Flask-
    Limiter's before-request pass would still resolve, on every request, an empty list of
    default and application limits — a quarter of a trivial request's CPU (py-spy, the
    ``/healthz`` baseline of bench/cast.py) — so it is left out while there are none."""
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits:
        return
    funcs = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in funcs:  # noqa: SLF001 - registered by init_app
        funcs.remove(limiter._check_request_limit)  # noqa: SLF001


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["OWNERVOTE"].redis_prefix)
    # No X-RateLimit-* / Retry-After on every answer of a throttled view (Flask-Limiter would
    # put the window's reset time on a 201 or on a 503 "retry in 2 s"); a 429 says
    # Retry-After itself (below).
    app.config["RATELIMIT_HEADERS_ENABLED"] = False
    # on unless this app says otherwise (Flask-Limiter would keep what the last app said)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                          {"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    login_manager.init_app(app)
    login_manager.login_view = "public.home"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    _drop_empty_default_pass(app)

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
        reset = getattr(exc, "reset_at", None) or (current.reset_at if current else None)
        wait = int(reset - time.time()) if reset else 60
        response.headers["Retry-After"] = str(max(1, wait))
        return response
