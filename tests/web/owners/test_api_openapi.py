"""The OpenAPI document against the real routes and answers; random bodies never cause a 500."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from tests.support.phones import Phone
from tests.support.small_community import CHEN

PREFIX = "/api/v1"


def doc(client) -> dict:
    return client.get(f"{PREFIX}/openapi.json").get_json()


def app_routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(PREFIX):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((path, method.lower()))
    return out


def documented(d: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in d["paths"].items() for method in ops}


def test_document_is_valid_openapi_3(client) -> None:
    d = doc(client)
    assert d["openapi"].startswith("3.")
    validate(d)  # raises with the offending part of the document


def test_document_and_routes_match_both_ways(app, client) -> None:
    d = doc(client)
    routes, paths = app_routes(app), documented(d)
    assert routes - paths == set(), "routes missing from the document"
    assert paths - routes == set(), "documented paths the app does not serve"


def test_every_operation_documents_its_errors(client) -> None:
    d = doc(client)
    for path, ops in d["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert any(c.startswith("2") for c in codes), (path, method)
            if method == "post" or "{" in path:
                assert codes & {"400", "404", "422"}, (path, method)
            for code in codes - {"200", "201"}:
                assert op["responses"][code] == {"$ref": f"#/components/responses/E{code}"}
    assert d["components"]["schemas"]["Error"]["required"] == ["error", "message"]


def check(d: dict, name: str, instance) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": d["components"]}
    OAS31Validator(schema).validate(instance)


def test_real_answers_match_their_schemas(client, world) -> None:
    d = doc(client)
    aid = world.assembly_id
    phone = Phone(client, aid)
    check(d, "Session", client.get(f"{PREFIX}/session").get_json())
    check(d, "AssemblyList", client.get(f"{PREFIX}/assemblies").get_json())
    check(d, "Matched", phone.match(CHEN).get_json())
    account = phone.verify(CHEN)
    check(d, "Account", account)
    check(d, "DeviceEnrolled", phone.enrol_device())
    t = phone.template()
    check(d, "BallotTemplate", t)
    r = phone.enrol_ballot_key(t)
    check(d, "BallotKeyEnrolled", r.get_json())
    t = phone.template()
    cast = phone.cast(phone.ballot(t, {"1": "agree", "3": []})).get_json()
    check(d, "CastResult", cast)
    check(d, "BallotTemplate", phone.template())
    check(d, "Assembly", client.get(f"{PREFIX}/assemblies/{aid}").get_json())
    check(d, "Checkpoint", client.get(f"{PREFIX}/assemblies/{aid}/checkpoint?from=1").get_json())
    check(d, "ReceiptLookup", client.get(
        f"{PREFIX}/assemblies/{aid}/receipts/{cast['tracker']}?from=2").get_json())
    for url in (f"{PREFIX}/assemblies/999", f"{PREFIX}/assemblies/{aid}/receipts/nope",
                f"{PREFIX}/assemblies/{aid}/receipts/AAAA-AAAA-AAAA-AAAA-AAAA",
                f"{PREFIX}/assemblies/{aid}/checkpoint?from=x"):
        r = client.get(url)
        assert 400 <= r.status_code < 500
        check(d, "Error", r.get_json())
    with pytest.raises(ValidationError):  # the check itself can fail
        check(d, "Error", {"error": "x"})


# -- random bodies --------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=12)
FIELDS = ["assembly_id", "name", "id_type", "id_number", "certificate_no", "building", "unit",
          "token", "phone", "code", "spki", "head", "signature", "payload", "choices", "seq",
          "origin", "nonce", "key"]
BODIES = JSON | st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES)
def test_random_json_never_causes_a_server_error(app, client, world, body) -> None:
    # signed in, with a CSRF token, so the bodies reach every endpoint's own parsing
    if not getattr(client, "_ov_ready", False):
        phone = Phone(client, world.assembly_id)
        phone.verify(CHEN)
        client._ov_csrf = phone.csrf  # noqa: SLF001 - this test's own mark on the client
        client._ov_ready = True  # noqa: SLF001
    aid = world.assembly_id
    for path in ("/verification/match", "/verification/code", "/verification/confirm",
                 "/devices", f"/assemblies/{aid}/ballot-keys", f"/assemblies/{aid}/ballots"):
        r = client.post(PREFIX + path, json=body,
                        headers={"X-CSRFToken": client._ov_csrf})  # noqa: SLF001
        assert r.status_code < 500, (path, body, r.get_json())
        if r.status_code >= 400:
            answer = r.get_json()
            assert set(answer) >= {"error", "message"} and answer["message"], (path, answer)
    r = client.post(f"{PREFIX}/assemblies/{aid}/ballots", data=b"\xff\xfe not json",
                    content_type="application/json")
    assert r.status_code == 400
