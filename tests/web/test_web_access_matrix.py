"""The authorisation matrix: every route states its audience, and every GET route is tried
by every kind of user with real ids.

Data-driven from ``app.url_map``, so routes added by any area of the site are
included as they land: each view must carry ``allowed_roles`` (``@public`` or
``@roles_required``), and the expected status follows from it:

* a role outside ``allowed_roles``: 401 when signed out, 403 when signed in;
* an allowed role on community A's records: a page (2xx/3xx; 409 for a step
  the record's state does not allow), never 401/403/404 or a server error —
  for the owner of A, A's committee, the supervisor of A's district, the
  auditor and the administrator;
* an allowed role of *another* community or district (committee of B,
  supervisor of B's district) on A's records: 404, so they learn nothing,
  not even that the record exists — unless the route is public;
* every HTML page served has no inline script and no style attribute, and every POST
  form on it carries the CSRF token.

Route parameters are filled from community A's real ids (:data:`PARAMS`, in
``tests/support/routes.py``);
a parameter the table does not know is reported, so new routes get covered
instead of silently skipped.
"""

from __future__ import annotations

from tests.support.page_checks import INLINE_SCRIPT, POST_FORM, STYLE_ATTR
from tests.support.routes import (
    OTHER_SIDE,
    PARAMS,
    PLACEHOLDERS,
    QUERY,
    ROLE_OF,
    SCOPED,
)
from tests.support.worlds import DISTRICT_A, ROLES, World, build_world, sign_in_as


def _views(app):
    return {endpoint: view for endpoint, view in app.view_functions.items() if endpoint != "static"}


def test_every_view_states_its_audience(app) -> None:
    missing = sorted(endpoint for endpoint, view in _views(app).items()
                     if not hasattr(view, "allowed_roles"))
    assert missing == [], ("views without @public or @roles_required: " + ", ".join(missing))


def test_every_route_has_a_view_with_a_marker_even_for_other_methods(app) -> None:
    # POST-only views count too: their marker is what the decorators check.
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints <= set(_views(app))
    assert {"auditor.cosign_form", "auditor.cosign_api", "admin.deactivate",
            "auth.sign_out"} <= endpoints


def _get_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        # views without a marker are reported by test_every_view_states_its_audience
        if "GET" in (rule.methods or ()) and rule.endpoint != "static" \
                and hasattr(app.view_functions[rule.endpoint], "allowed_roles"):
            yield rule


#: pages that exist only once a later step is taken (world A's assembly is announced, but
#: its objection period has not run out, so no final announcement is issued yet: 404);
#: tests/web/committee/test_web_committee.py opens them after issuing it
LATER_PAGES = frozenset({"notices.final_announcement_page", "notices.final_announcement_pdf"})


def _url(rule, world: World) -> tuple[str | None, bool, bool]:
    """(path, scoped, resolved) for community A; path None if a parameter is unknown."""
    values, resolved = {}, rule.endpoint not in LATER_PAGES
    for arg in rule.arguments:
        if arg in PARAMS:
            values[arg] = PARAMS[arg](world)
        elif arg in PLACEHOLDERS:
            values[arg], resolved = PLACEHOLDERS[arg], False
        else:
            return None, True, False
    path = rule.build(values, append_unknown=False)[1]
    return (path + QUERY.get(rule.endpoint, lambda w: "")(world),
            bool(rule.arguments & SCOPED), resolved)


def _expected(role: str, allowed, scoped: bool, resolved: bool = True) -> str:
    if allowed is None:
        return "page" if resolved else "page-or-404"
    if role == "anonymous":
        return "401"
    if ROLE_OF[role] not in allowed:
        return "403"
    if scoped and role in OTHER_SIDE:
        return "404"
    return "page" if resolved else "page-or-404"


def _matches(expected: str, status: int) -> bool:
    if expected == "page-or-404" and status == 404:
        return True
    if expected.startswith("page"):
        return 200 <= status < 400 or status == 409
    return status == int(expected)


def test_matrix_of_roles_and_get_routes(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    views = _views(app)
    unknown, wrong, inline, no_csrf, tried = [], [], [], [], 0
    for role in ROLES:
        client = app.test_client()
        sign_in_as(client, app, world.principal(role))
        for rule in _get_rules(app):
            path, scoped, resolved = _url(rule, world)
            if path is None:
                names = sorted(rule.arguments - set(PARAMS) - set(PLACEHOLDERS))
                unknown.append(f"{rule.rule} ({', '.join(names)})")
                continue
            expected = _expected(role, views[rule.endpoint].allowed_roles, scoped, resolved)
            r = client.get(path)
            tried += 1
            if not _matches(expected, r.status_code):
                wrong.append(f"{role:<13} GET {path}: {r.status_code}, expected {expected}")
            if r.mimetype == "text/html":
                html = r.get_data(as_text=True)
                if INLINE_SCRIPT.search(html) or STYLE_ATTR.search(html):
                    inline.append(f"{path} (as {role})")
                if any('name="csrf_token"' not in form for form in POST_FORM.findall(html)):
                    no_csrf.append(f"{path} (as {role})")
    assert sorted(set(unknown)) == [], ("add these route parameters to PARAMS: "
                                        + "; ".join(sorted(set(unknown))))
    assert wrong == [], "\n".join(wrong)
    assert inline == [], "inline script or style attribute in: " + ", ".join(inline)
    assert no_csrf == [], "a POST form without the CSRF token in: " + ", ".join(no_csrf)
    assert tried >= len(ROLES) * 12  # the matrix really ran over the routes


# -- explicit cross-community expectations (not derived from the markers) -----------------

CROSS = {
    # path template -> {role: status}; A's records seen by everyone
    "/audit/assemblies/{a}/bundle.zip": {
        "anonymous": 401, "owner": 200, "committee_a": 200, "committee_b": 404,
        "supervisor_a": 200, "supervisor_b": 404, "auditor": 200, "admin": 200},
    "/audit/assemblies/{a}": {role: 200 for role in ROLES},
    "/audit/assemblies/{a}/checkpoints": {role: 200 for role in ROLES},
    "/audit/assemblies/{draft}": {role: 404 for role in ROLES},
    "/supervisor/districts/" + DISTRICT_A: {
        "anonymous": 401, "owner": 403, "committee_a": 403, "committee_b": 403,
        "supervisor_a": 200, "supervisor_b": 404, "auditor": 200, "admin": 200},
    "/supervisor/": {
        "anonymous": 401, "owner": 403, "committee_a": 403, "committee_b": 403,
        "supervisor_a": 200, "supervisor_b": 200, "auditor": 200, "admin": 200},
    "/admin/staff": {
        "anonymous": 401, "owner": 403, "committee_a": 403, "committee_b": 403,
        "supervisor_a": 403, "supervisor_b": 403, "auditor": 403, "admin": 200},
}


def test_cross_community_expectations(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    expected_b = {"anonymous": 401, "owner": 404, "committee_a": 404, "committee_b": 200,
                  "supervisor_a": 404, "supervisor_b": 200, "auditor": 200, "admin": 200}
    wrong = []
    for role in ROLES:
        client = app.test_client()
        sign_in_as(client, app, world.principal(role))
        for template, expected in CROSS.items():
            path = template.format(a=world.a.assembly_id, draft=world.a.draft_id)
            status = client.get(path).status_code
            if status != expected[role]:
                wrong.append(f"{role} GET {path}: {status}, expected {expected[role]}")
        # B's side mirrors A's: B's committee downloads B's bundle, A's committee gets 404.
        path = f"/audit/assemblies/{world.b.assembly_id}/bundle.zip"
        status = client.get(path).status_code
        if status != expected_b[role]:
            wrong.append(f"{role} GET {path}: {status}, expected {expected_b[role]}")
    assert wrong == [], "\n".join(wrong)


def test_a_supervisor_sees_only_their_district(app, session, ov_settings) -> None:
    world = build_world(session, ov_settings)
    client = app.test_client()
    sign_in_as(client, app, world.principal("supervisor_a"))
    html = client.get("/supervisor/").get_data(as_text=True)
    assert "甲小区" in html and "乙小区" not in html
    assert "甲小区2026年业主大会" in html and "草稿" not in html  # drafts are the committee's


def test_a_supervisor_sees_overdue_announcements_of_their_district(app, session,
                                                                   ov_settings) -> None:
    """An assembly closed more than announce_within_days (3) ago and not announced is listed
    as overdue (the status is set here directly: the page only reads it)."""
    import datetime as dt

    from voting.store.models import Assembly

    world = build_world(session, ov_settings)
    a = session.get(Assembly, world.a.assembly_id)
    a.status, a.closes_at = "closed", dt.datetime.now(dt.UTC) - dt.timedelta(days=4)
    session.commit()
    client = app.test_client()
    sign_in_as(client, app, world.principal("supervisor_a"))
    html = client.get("/supervisor/").get_data(as_text=True)
    assert "未按时公告的表决结果" in html and "至今尚未公告" in html
    sign_in_as(client, app, world.principal("supervisor_b"))
    assert "未按时公告的表决结果" not in client.get("/supervisor/").get_data(as_text=True)
