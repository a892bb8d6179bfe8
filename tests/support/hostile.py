"""The request shapes that once gave a 500 (issue 15, item 7), and how a 4xx must read.

Used by the route fuzz tests (``tests/web/test_fuzz_routes.py``) and the
deterministic sweep of every POST route (``tests/web/test_web_hostile_shapes.py``):

* JSON nested 100,000 deep (Python's parser recursed until it crashed);
* a JSON array or string where an object is expected;
* a lone surrogate (``"\\ud800"``) in a text field or token: valid JSON, but no
  UTF-8 encoding exists, so the database, the hasher and the signer choked on it;
* ``²`` and full-width digits in integer form fields (``str.isdigit`` says yes, ``int``
  says no or reads ``１２`` as 12);
* a ``datetime-local`` value at the edge of the calendar (``0001-01-01T00:00``).

:func:`unclear` says what is wrong with a 4xx answer (None if it is clear): JSON
``{"error": code, "message": text}``, the committee console's ``{"ok": false, "error":
text}``, or a page with a non-empty ``role="alert"`` message.
"""

from __future__ import annotations

import json
import re

ALERT = re.compile(r'role="alert"[^>]*>(.*?)</(?:p|section|div)>', re.S)
TAGS = re.compile(r"<[^>]+>")
DEPTH = 100_000
DEEP_JSON = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH
SURROGATE = "\ud800"
# Keys the committee console's JSON routes read (the API's come from its OpenAPI document).
CONSOLE_KEYS = ("spki", "payload", "sig", "agent_name", "official", "reason", "target")
# Integer-looking text that is not an ASCII whole number.
NOT_ASCII_DIGITS = ("²", "１２", "٣", "12²")
EDGE_DATES = ("0001-01-01T00:00", "9999-12-31T23:59")


def json_shapes(keys: list[str]) -> dict[str, str]:
    """Raw JSON bodies by name, each to be posted as ``application/json``."""
    everything = dict.fromkeys(sorted(set(keys) | set(CONSOLE_KEYS)), SURROGATE)
    nested = {**everything, "payload": {"choices": {"1": SURROGATE}, "head": SURROGATE}}
    return {
        "deep array": DEEP_JSON,
        "deep object": DEEP_OBJECT,
        "array": json.dumps([{"spki": "x", "payload": {}, "sig": "x"}]),
        "string": json.dumps("spki"),
        "number": "12",
        "lone surrogate": json.dumps(everything),  # ensure_ascii: the text "\ud800"
        "lone surrogate, nested": json.dumps(nested),
    }


def form_shapes(fields: list[str]) -> dict[str, dict[str, str]]:
    """Form bodies by name: every field of the templates set to the same hostile text."""
    shapes = {f"every field {v!r}": dict.fromkeys(fields, v) for v in NOT_ASCII_DIGITS}
    for date in EDGE_DATES:
        shapes[f"dates {date}"] = {"opens_at": date, "closes_at": date, "transferred_at": date,
                                   "title": "t", "item_title": "t"}
    return shapes


def unclear(r) -> str | None:
    """None if a 4xx answer says clearly what was wrong, else why not."""
    if r.is_json:
        body = r.get_json(silent=True)
        if isinstance(body, dict):
            message = body.get("message", body.get("error") if body.get("ok") is False else None)
            if isinstance(body.get("error"), str) and isinstance(message, str) \
                    and message.strip():
                return None
        return f"JSON without error/message: {r.get_data(as_text=True)[:120]!r}"
    text = r.get_data(as_text=True)
    if r.mimetype == "text/html":
        for m in ALERT.finditer(text):
            if TAGS.sub("", m.group(1)).strip():
                return None
        return "HTML without a role=alert message"
    return None if text.strip() else f"empty {r.mimetype} body"


def template_fields(app) -> list[str]:
    """Form field names used by the templates (so forms get the real keys)."""
    names: set[str] = set()
    loader = app.jinja_env.loader
    for template in loader.list_templates():
        if template.endswith(".html"):
            source = loader.get_source(app.jinja_env, template)[0]
            names.update(re.findall(r'\bname="([A-Za-z_][\w-]*)"', source))
    return sorted(names - {"csrf_token"})


def openapi_keys(client) -> list[str]:
    """Property names of the OpenAPI document (so JSON bodies get the real keys)."""
    doc = client.get("/api/v1/openapi.json").get_json() or {}
    keys: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "properties" and isinstance(v, dict):
                    keys.update(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return sorted(keys)
