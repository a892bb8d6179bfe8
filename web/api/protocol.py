"""The JSON API's conventions: one error shape, request-body fields, times.

Every error the API returns has one shape, ``{"error": code, "message": text}``
(plus a few documented extra fields, e.g. ``retry_at``), where ``code`` is a
stable machine code and ``message`` plain words in the page's language.  Times are
ISO 8601 in UTC with a ``Z``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, overload

from flask import jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ledger.timestamps import ms_to_datetime
from ownervote.services.errors import NotFound
from web.jsonbody import NotAnObject, json_object


class ApiError(Exception):
    """A refusal answered as ``{"error": code, "message": message, **extra}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self):
        return jsonify({"error": self.code, "message": self.message, **self.extra}), self.status


def malformed(message: str) -> ApiError:
    return ApiError(400, "malformed", message)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    try:
        return json_object()
    except NotAnObject as exc:
        raise malformed(str(exc)) from None


@overload
def text_field(body: dict[str, Any], name: str, *, required: Literal[True] = True,
               max_len: int = 200) -> str: ...


@overload
def text_field(body: dict[str, Any], name: str, *, required: bool,
               max_len: int = 200) -> str | None: ...


def text_field(body: dict[str, Any], name: str, *, required: bool = True,
               max_len: int = 200) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, "malformed", _("The field \u201c%(name)s\u201d is missing.",
                                               name=name), field=name)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ApiError(400, "malformed",
                       _("The field \u201c%(name)s\u201d must be text of at most %(n)s characters.",
                         name=name, n=max_len), field=name)
    return value


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ApiError(400, "malformed", _("The field \u201c%(name)s\u201d must be a positive "
                                           "whole number.", name=name), field=name)
    return value


_NOT_FOUND = {
    "assembly": (404, "not_found", _l("There is no such assembly.")),
    "log": (404, "no_log", _l("This assembly has no ledger yet.")),
    "account": (401, "unauthorized", _l("Please sign in first.")),
}


def not_found(exc: NotFound) -> ApiError:
    """The answer to a service's ``NotFound`` (404; a vanished account: 401)."""
    status, code, message = _NOT_FOUND.get(exc.what, _NOT_FOUND["assembly"])
    return ApiError(status, code, str(message))


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def iso_ms(ms: int | None) -> str | None:
    return None if ms is None else iso(ms_to_datetime(ms))
