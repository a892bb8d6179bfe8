"""The authorisation matrix for state-changing routes (the GET half is
``tests/web/test_web_access_matrix.py``; the parameters and rules both use are
``tests/support/routes.py``).

Every route accepting POST is tried by every kind of user, *with* a valid CSRF
token (so the refusal, if any, is the authorisation's), on community A's real
records:

* a role outside the view's ``allowed_roles``: 401 signed out, 403 signed in;
* committee or supervisor of *another* community on A's records: 404;
* an allowed role (or anyone on a public route): never 401/403 and never a
  server error — the view itself may answer 2xx/3xx, 400 (an empty form is not
  valid), 404 (a placeholder id), 409 (A's assembly is already announced) or
  422.
"""

from __future__ import annotations

import re

from tests.support.routes import OTHER_SIDE, ROLE_OF, SCOPED, path_for
from tests.support.worlds import ROLES, build_world, sign_in_as

# An allowed role may still be refused by the view for the record's sake (not the role's):
DOMAIN_REFUSALS = {
    # only an account verified in this browser session may be switched to; none is sent
    "owner.acting_for": {403},
}
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _expected(role: str, allowed, scoped: bool) -> str:
    if allowed is None:
        return "allowed"
    if role == "anonymous":
        return "401"
    if ROLE_OF[role] not in allowed:
        return "403"
    if scoped and role in OTHER_SIDE:
        return "404"
    return "allowed"


def _ok(expected: str, status: int, endpoint: str) -> bool:
    if expected == "allowed":
        if status in DOMAIN_REFUSALS.get(endpoint, ()):
            return True
        return status not in (401, 403) and status < 500
    return status == int(expected)


def _csrf(client) -> None:
    token = META.search(client.get("/verify").get_data(as_text=True)).group(1)
    client.environ_base["HTTP_X_CSRFTOKEN"] = token


def test_matrix_of_roles_and_post_routes(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    rules = [r for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
             if "POST" in (r.methods or ()) and r.endpoint != "auth.sign_out"]
    wrong, tried = [], 0
    for role in ROLES:  # the administrator last: deactivating a member does not hide anything
        client = app.test_client()
        sign_in_as(client, app, world.principal(role))
        _csrf(client)
        for rule in rules:
            allowed = app.view_functions[rule.endpoint].allowed_roles
            expected = _expected(role, allowed, bool(rule.arguments & SCOPED))
            path = path_for(rule, world)
            r = client.post(path, data={})
            tried += 1
            if not _ok(expected, r.status_code, rule.endpoint):
                wrong.append(f"{role:<13} POST {path}: {r.status_code}, expected {expected}")
    assert wrong == [], "\n".join(wrong)
    assert tried == len(ROLES) * len(rules) and len(rules) >= 30


def test_sign_out_is_a_post_with_the_token(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    client = app.test_client()
    sign_in_as(client, app, world.principal("auditor"))
    _csrf(client)
    assert client.get("/supervisor/").status_code == 200
    r = client.post("/sign-out")
    assert r.status_code in (302, 303)
    assert client.get("/supervisor/").status_code == 401
