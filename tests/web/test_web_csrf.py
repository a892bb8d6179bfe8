"""CSRF on every state-changing route, and the security headers on every kind of answer.

Walks ``app.url_map``: every route accepting POST, PUT, PATCH or DELETE, sent
without a CSRF token — signed out, and signed in as a committee member (the
case CSRF is about: the browser would send the cookie) — must be refused with
400 and the ``csrf`` error before its view runs.  The only routes that may skip
the token are listed in :data:`EXEMPT` with the reason (SECURITY.md repeats
them); a new exemption fails this test until it is documented here.

Headers (``web.security``): a Content-Security-Policy without inline scripts or
styles and with ``frame-ancestors 'none'``, ``X-Frame-Options: DENY``,
``nosniff``, a referrer policy — on pages, JSON, errors and static files; HSTS
only over HTTPS; in production the session cookie is Secure, HttpOnly and
SameSite.
"""

from __future__ import annotations

import re

import pytest

from tests.support.worlds import build_world, sign_in_as

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGES = ("The form expired or was not sent from this site", "表单已过期或并非从本网站提交")
#: endpoint -> why it may be called without a CSRF token
EXEMPT = {
    "api.cast": "authenticated by the ballot's own signature (a device key enrolled in the "
                "log); a forged cross-site request cannot carry one, and no cookie is used",
    "auditor.cosign_api": "a witness's cosignature authenticates itself (verified against "
                          "a registered witness key); no cookie gives it anything",
    "auditor.challenge_json": "a pure check of the posted challenge: it reads no session, "
                              "writes nothing and answers only the caller",
}


def _fill(rule) -> str:
    values = {}
    for arg in rule.arguments:
        conv = rule._converters.get(arg)  # noqa: SLF001 - the converter tells int from string
        values[arg] = 1 if type(conv).__name__ in ("IntegerConverter",) else "x"
    return rule.build(values, append_unknown=False)[1]


def _unsafe_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = (rule.methods or set()) & UNSAFE
        if methods and rule.endpoint != "static":
            yield rule, sorted(methods)


def test_every_unsafe_route_needs_the_csrf_token(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    seen_exempt, wrong, tried = set(), [], 0
    for who in (None, world.principal("committee_a")):
        client = app.test_client()
        sign_in_as(client, app, who)
        for rule, methods in _unsafe_rules(app):
            path = _fill(rule)
            for method in methods:
                r = client.open(path, method=method, data={"x": "1"})
                tried += 1
                if rule.endpoint in EXEMPT:
                    seen_exempt.add(rule.endpoint)
                    if r.status_code == 400 and _is_csrf(r):
                        wrong.append(f"{method} {path}: exempt but refused for CSRF")
                    continue
                if r.status_code != 400 or not _is_csrf(r):
                    wrong.append(f"{method} {path} as {who or 'anonymous'}: {r.status_code} "
                                 f"{r.get_data(as_text=True)[:80]!r}")
    assert wrong == [], "\n".join(wrong)
    assert seen_exempt == set(EXEMPT), "an exempt route disappeared: update EXEMPT"
    assert tried >= 40


def test_exemptions_are_exactly_the_documented_ones(app) -> None:
    from web.extensions import csrf

    exempt_views = set(csrf._exempt_views)  # noqa: SLF001 - what Flask-WTF will skip
    by_name = {f"{v.__module__}.{v.__name__}": e for e, v in app.view_functions.items()}
    exempt_endpoints = {by_name[name] for name in exempt_views if name in by_name}
    assert exempt_endpoints == set(EXEMPT)
    assert not csrf._exempt_blueprints  # noqa: SLF001 - no whole blueprint is exempt


def _is_csrf(r) -> bool:
    if r.is_json:
        return r.get_json().get("error") == "csrf" and bool(r.get_json().get("message"))
    text = r.get_data(as_text=True)  # web.errors' CSRF message, in either language
    return any(m in text for m in CSRF_MESSAGES)


# -- headers ---------------------------------------------------------------------------------

PAGES = ("/", "/verify", "/healthz", "/api/v1/assemblies", "/no-such-page",
         "/api/v1/no-such-thing", "/static/favicon.svg", "/staff/sign-in")


def test_security_headers_on_every_kind_of_answer(client) -> None:
    for path in PAGES:
        r = client.get(path)
        h = r.headers
        csp = h.get("Content-Security-Policy", "")
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert re.search(r"script-src 'self'(;|$)", csp), (path, csp)
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert "default-src 'self'" in csp and "form-action 'self'" in csp, path
        assert h.get("X-Frame-Options") == "DENY", path
        assert h.get("X-Content-Type-Options") == "nosniff", path
        assert h.get("Referrer-Policy") in ("same-origin", "no-referrer"), path
        assert "Strict-Transport-Security" not in h, path  # plain HTTP: no HSTS
        if path.startswith("/api/"):
            assert "no-store" in h.get("Cache-Control", ""), path


def test_hsts_over_https(client) -> None:
    r = client.get("/", base_url="https://vote.example")
    hsts = r.headers.get("Strict-Transport-Security", "")
    assert re.search(r"max-age=(\d+)", hsts) and int(re.search(r"max-age=(\d+)", hsts)[1]) \
        >= 180 * 24 * 3600


@pytest.mark.parametrize("backend", ["sqlite"])
def test_production_cookies_are_secure_httponly_samesite(ov_settings, backend) -> None:
    import dataclasses

    from web import create_app

    app = create_app(dataclasses.replace(ov_settings, env="production"), TESTING=True)
    try:
        client = app.test_client()
        r = client.get("/staff/sign-in", base_url="https://vote.example")
        cookies = r.headers.getlist("Set-Cookie")
        session_cookie = [c for c in cookies if c.startswith("session=")]
        assert session_cookie, cookies  # the sign-in form's CSRF token lives in the session
        for c in session_cookie:
            assert "Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c, c
    finally:
        app.extensions["ownervote.engine"].dispose()
