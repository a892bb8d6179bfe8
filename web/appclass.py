"""The Flask subclass the app factory builds: per-request work that need not repeat.

Every request pays Flask's fixed costs, the casting request included, and on a
small server that request is the one that must be cheap (bench/cast.py).  Two
of those costs are repeated work with the same answer each time:

* ``ensure_sync`` asks ``inspect.iscoroutinefunction`` about every hook and
  view on every request (eight times per request here); the answer for a
  function never changes, so it is remembered;
* the cookie session builds its signing serializer before it even looks for a
  cookie; a request without one (the JSON API's, the phone's first visit) gets
  its empty session directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from web.jsonbody import StrictJSONProvider


class _CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class OwnervoteFlask(Flask):
    session_interface = _CookieSessions()
    # every get_json: deep nesting and lone surrogates are malformed JSON, not a crash
    json_provider_class = StrictJSONProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            found = self._sync.get(func)
        except TypeError:  # an unhashable callable: ask every time
            return super().ensure_sync(func)
        if found is None:
            found = self._sync[func] = super().ensure_sync(func)
        return found
