"""Every POST route, as every kind of user, given each shape that once gave a 500 (issue 15,
item 7): JSON nested 100,000 deep, an array or a string where an object is expected, a lone
surrogate in every text field and token, ``²`` and full-width digits in every form field, and
``datetime-local`` values at the edge of the calendar (``tests/support/hostile.py``).

Each answer must be below 500, and each 4xx must say what was wrong.  The random half of
this is ``tests/web/test_fuzz_routes.py``.
"""

from __future__ import annotations

import re

from tests.support.hostile import form_shapes, json_shapes, openapi_keys, template_fields, unclear
from tests.support.routes import path_for
from tests.support.worlds import ROLES, build_world, sign_in_as

META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _signed_in(app, world, role: str):
    client = app.test_client()
    sign_in_as(client, app, world.principal(role))
    client.environ_base["HTTP_X_CSRFTOKEN"] = META.search(
        client.get("/verify").get_data(as_text=True)).group(1)
    return client


def _judge(where: str, r, failures: list[str]) -> None:
    if r.status_code >= 500:
        failures.append(f"{where} -> {r.status_code}: {r.get_data(as_text=True)[:160]!r}")
    elif 400 <= r.status_code < 500 and (why := unclear(r)):
        failures.append(f"{where} -> {r.status_code}: {why}")


def test_every_post_route_answers_hostile_shapes_with_a_clear_4xx(app, session,
                                                                  ov_settings) -> None:
    world = build_world(session, ov_settings)
    rules = [r for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
             if "POST" in (r.methods or ()) and r.endpoint != "auth.sign_out"]
    anonymous = app.test_client()
    jsons = json_shapes(openapi_keys(anonymous))
    forms = form_shapes(template_fields(app))
    failures: list[str] = []
    for role in ROLES:  # the administrator last: deactivating a member hides nothing
        client = _signed_in(app, world, role)
        for rule in rules:
            path = path_for(rule, world)
            for name, raw in jsons.items():
                r = client.post(path, data=raw, content_type="application/json")
                _judge(f"{role} POST {path} [{name}]", r, failures)
            for name, form in forms.items():
                r = client.post(path, data=form)
                _judge(f"{role} POST {path} [{name}]", r, failures)
    assert failures == [], "\n".join(failures)


def test_the_language_switch_refuses_a_line_break_in_its_return_address(client) -> None:
    for target in ("/a%0ab", "/a%0d%0aSet-Cookie:%20x=1", "/%00"):
        r = client.get(f"/lang/en?next={target}")
        assert r.status_code == 400, (target, r.status_code)
        assert unclear(r) is None
        assert "Set-Cookie" not in str(r.headers.get("Location"))
    r = client.get("/lang/en?next=/verify")
    assert r.status_code == 302 and r.headers["Location"] == "/verify"


def test_lone_surrogates_in_the_verification_api_are_a_400(client) -> None:
    token = META.search(client.get("/verify").get_data(as_text=True)).group(1)
    headers = {"X-CSRFToken": token}
    bodies = {
        "/api/v1/verification/match": {"assembly_id": 1, "name": "\ud800",
                                       "id_number": "\ud800", "certificate_no": "\ud800"},
        "/api/v1/verification/code": {"token": "\ud800", "phone": "13800000000"},
        "/api/v1/verification/confirm": {"token": "\ud800", "code": "\udfff"},
    }
    for path, body in bodies.items():
        import json

        r = client.post(path, data=json.dumps(body), content_type="application/json",
                        headers=headers)
        assert r.status_code == 400, (path, r.status_code, r.get_data(as_text=True)[:200])
        assert r.get_json()["error"] == "malformed" and r.get_json()["message"]
