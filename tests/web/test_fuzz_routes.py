"""Hypothesis-driven fuzzing of every route and method, as anonymous, owner and committee.

Data-driven from ``app.url_map``: for every rule and each of its methods,
Hypothesis draws the path values (real ids of community A, other integers,
arbitrary text), a query string, and a body — form fields for the pages, JSON
for ``/api/`` (random JSON, or objects whose keys come from the OpenAPI
document and whose values are random), now and then one of the shapes that once
gave a 500 (``tests/support/hostile.py``: JSON nested 100,000 deep, lone
surrogates, ``²`` and full-width digits, dates at the edge of the calendar) — and
a principal: anonymous, an owner or any staff role.  Signed-in clients
carry a valid CSRF token, so the fuzzing reaches the views.

Every answer must be below 500, and every 4xx must say clearly what was wrong:
JSON ``{"error": code, "message": text}`` under ``/api/`` (and wherever JSON is
answered), otherwise a page with a non-empty ``role="alert"`` message.  A fixed
``max_examples`` keeps it to well under two minutes on both databases.
"""

from __future__ import annotations

import json
import os
import re
import string
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hostile import (
    EDGE_DATES,
    NOT_ASCII_DIGITS,
    SURROGATE,
    json_shapes,
    openapi_keys,
    template_fields,
    unclear,
)
from tests.support.worlds import ROLES, build_world, sign_in_as

PRINCIPALS = ROLES
EXAMPLES = int(os.environ.get("OWNERVOTE_FUZZ_EXAMPLES", "1500"))  # longer: set it
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

ALPHABET = string.printable + "中文业主大会①\u2028\x00é" + "".join(NOT_ASCII_DIGITS)
TEXT = st.text(alphabet=st.sampled_from(ALPHABET), max_size=40) \
    | st.sampled_from(NOT_ASCII_DIGITS + EDGE_DATES)
# JSON may also carry lone surrogates (a form or URL cannot: they have no UTF-8)
JSON_TEXT = TEXT | st.text(alphabet=st.sampled_from(ALPHABET + SURROGATE), max_size=40)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False), JSON_TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(JSON_TEXT, inner, max_size=4)),
                    max_leaves=12)


def _routes(app):
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


def test_fuzz_every_route_and_method(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    routes = _routes(app)
    clients = {}
    for who in PRINCIPALS:
        c = app.test_client()
        sign_in_as(c, app, world.principal(who))
        c.environ_base["HTTP_X_CSRFTOKEN"] = META.search(
            c.get("/verify").get_data(as_text=True)).group(1)
        clients[who] = c
    fields = template_fields(app)
    json_keys = openapi_keys(clients["anonymous"])
    hostile_json = list(json_shapes(json_keys).values())
    real = {"assembly_id": [world.a.assembly_id, world.b.assembly_id, world.a.draft_id],
            "community_id": [world.a.community_id], "size": [world.a.checkpoint_size],
            "tracker": [world.a.tracker], "staff_id": list(world.staff.values())}
    failures: list[str] = []
    tried: set[tuple[str, str]] = set()
    statuses: Counter[int] = Counter()

    def value(draw, rule, arg):
        conv = type(rule._converters[arg]).__name__  # noqa: SLF001
        if conv == "IntegerConverter":
            return draw(st.one_of(st.sampled_from(real.get(arg, [1])), st.integers(0, 2**63)))
        return draw(st.one_of(st.sampled_from([str(v) for v in real.get(arg, ["x"])]),
                              TEXT.filter(lambda s: s and "/" not in s)))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def fuzz(data) -> None:
        rule, method = data.draw(st.sampled_from(routes), label="route")
        who = data.draw(st.sampled_from(PRINCIPALS), label="principal")
        values = {arg: value(data.draw, rule, arg) for arg in sorted(rule.arguments)}
        try:
            path = rule.build(values, append_unknown=False)[1]
        except Exception:  # noqa: BLE001 - a value the converter cannot build: skip it
            return
        query = data.draw(st.dictionaries(st.sampled_from(fields + ["from", "to", "page",
                                                                    "head", "lang", "next"])
                                          | TEXT, TEXT, max_size=3), label="query")
        kwargs: dict = {"query_string": query}
        if method != "GET":
            if path.startswith("/api/"):
                body = data.draw(st.one_of(
                    JSON, st.dictionaries(st.sampled_from(json_keys or ["x"]), JSON,
                                          max_size=5)), label="json")
                raw = json.dumps(body)  # ensure_ascii: a surrogate is sent as "\ud800"
                if data.draw(st.integers(0, 9), label="hostile") == 0:
                    raw = data.draw(st.sampled_from(hostile_json), label="hostile json")
                kwargs["data"] = raw
                kwargs["content_type"] = "application/json"
            else:
                kwargs["data"] = data.draw(st.dictionaries(
                    st.sampled_from(fields or ["x"]) | TEXT, TEXT, max_size=6), label="form")
        r = clients[who].open(path, method=method, **kwargs)
        tried.add((rule.endpoint, method))
        statuses[r.status_code // 100] += 1
        where = f"{who} {method} {path} {query} -> {r.status_code}"
        if r.status_code >= 500:
            failures.append(f"{where}: {r.get_data(as_text=True)[:200]!r}")
        elif 400 <= r.status_code < 500:
            why = unclear(r)
            if why:
                failures.append(f"{where}: {why}")

    fuzz()
    assert failures == [], "\n".join(dict.fromkeys(failures))
    # the fuzzing reached the views: most routes tried, some answered normally
    assert len(tried) >= 0.8 * len(routes), sorted(set(routes) - tried)[:10]
    assert statuses[2] + statuses[3] >= EXAMPLES // 20 and statuses[4] >= EXAMPLES // 4, statuses
