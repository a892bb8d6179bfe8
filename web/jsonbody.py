"""Reading JSON request bodies without a crash: one parser for every JSON POST.

Python's ``json`` parser recurses once per nesting level, so a body of 100,000
``[`` ends in ``RecursionError``, which ``request.get_json(silent=True)`` does not
catch (it catches ``ValueError``); and it accepts escapes of lone surrogates
(``"\\ud800"``), text that has no UTF-8 form, which then fails wherever it is encoded
(the database, the keyed hasher, canonical JSON).  :class:`StrictJSONProvider` is the
application's JSON provider (``OwnervoteFlask.json_provider_class``), so every
``get_json`` parses through :func:`strict_loads`: such bodies are a ``ValueError``
(:class:`RejectedJSON`) like any other malformed JSON.

:func:`json_object` is the request's body as a JSON object or a :class:`NotAnObject`
that says, in the reader's language, what is wrong with it; the API answers it as
``400 malformed`` (``web.api.protocol.json_body``), the committee console as a 400
page (``web.committee.signing.console_json``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

#: Deeper than any body the API or the console reads (a ballot is four levels deep).
MAX_DEPTH = 32
#: Larger than any body the API or the console reads (a ballot is well under 10 KB).
MAX_JSON_BYTES = 256 * 1024


class RejectedJSON(ValueError):
    """JSON the application refuses: ``reason`` is ``large``, ``deep`` or ``surrogate``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"JSON refused: {reason}")
        self.reason = reason


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check(value: Any) -> None:
    """Depth and text of a parsed value, without recursion (the value may be deep)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                raise RejectedJSON("surrogate")
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise RejectedJSON("deep")
            items = node.items() if isinstance(node, dict) else ((None, v) for v in node)
            for key, item in items:
                if key is not None and _has_surrogate(key):
                    raise RejectedJSON("surrogate")
                stack.append((item, depth + 1))


def strict_loads(data: str | bytes, **kwargs: Any) -> Any:
    if len(data) > MAX_JSON_BYTES:
        raise RejectedJSON("large")
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise RejectedJSON("deep") from None
    _check(value)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s, **kwargs)


class NotAnObject(ValueError):
    """The request body is not a JSON object the application reads (already translated)."""


def _reason(exc: ValueError) -> str:
    if isinstance(exc, RejectedJSON) and exc.reason == "large":
        return _("The request body is too large (%(n)s KB at most).", n=MAX_JSON_BYTES // 1024)
    if isinstance(exc, RejectedJSON) and exc.reason == "deep":
        return _("The request body is nested too deeply (%(n)s levels at most).", n=MAX_DEPTH)
    if isinstance(exc, RejectedJSON):
        return _("The request body contains text that is not valid Unicode.")
    return _("The request body is not valid JSON.")


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object, or :class:`NotAnObject` saying why not."""
    if not request.is_json:
        raise NotAnObject(_("The request body must be a JSON object."))
    try:
        value = strict_loads(request.get_data(cache=True))
    except ValueError as exc:  # includes UnicodeDecodeError: bytes that are not UTF-8
        raise NotAnObject(_reason(exc)) from None
    if not isinstance(value, dict):
        raise NotAnObject(_("The request body must be a JSON object."))
    return value
