"""Free-text fields are bounded in the console's forms and the API (issue 15, item 6): a
15 MB description was once accepted.  Over the limit: a 4xx or a refusal that names the
field and the limit, and nothing written."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from tests.support.worlds import sign_in_as
from voting.store.models import Assembly, Item

META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _member(app, world):
    client = app.test_client()
    sign_in_as(client, app, world.principal("committee_a"))
    client.environ_base["HTTP_X_CSRFTOKEN"] = META.search(
        client.get("/verify").get_data(as_text=True)).group(1)
    return client


def _count(session, model) -> int:
    with session.bind.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def _new(**fields) -> dict:
    form = {"title": "2027年业主大会", "description": "", "item_title": "修订管理规约",
            "item_kind": "motion", "item_matter": "2"}
    form.update(fields)
    return form


def test_a_new_assembly_over_a_limit_is_refused(app, session, world) -> None:
    client = _member(app, world)
    before = _count(session, Assembly)
    for fields, words in (({"description": "说" * 20_001}, "20000"),
                          ({"title": "题" * 201}, "200"),
                          ({"item_description": "说" * 20_001}, "20000"),
                          ({"item_title": "议" * 201}, "200")):
        r = client.post("/committee/new", data=_new(**fields))
        assert r.status_code == 400, fields.keys()
        assert words in r.get_data(as_text=True), fields.keys()
    assert _count(session, Assembly) == before
    r = client.post("/committee/new", data=_new(description="说" * 20_000,
                                                item_description="说" * 20_000))
    assert r.status_code in (302, 303)
    assert _count(session, Assembly) == before + 1


def test_an_item_over_a_limit_is_not_added(app, session, world) -> None:
    client = _member(app, world)
    before = _count(session, Item)
    url = f"/committee/a/{world.a.draft_id}/items"
    for fields in ({"item_description": "说" * 20_001},
                   {"item_kind": "election", "item_seats": "1",
                    "item_candidates": "张三\n" + "名" * 51}):
        r = client.post(url, data={"item_title": "议题", "item_matter": "2", **fields},
                        follow_redirects=True)
        assert "characters at most" in r.get_data(as_text=True) \
            or "个字符" in r.get_data(as_text=True)
    assert _count(session, Item) == before


def test_settings_with_a_too_long_description_are_not_saved(app, session, world) -> None:
    client = _member(app, world)
    client.post(f"/committee/a/{world.a.draft_id}/settings",
                data={"title": "新标题", "description": "说" * 20_001})
    with session.bind.connect() as conn:
        title = conn.execute(select(Assembly.title).where(
            Assembly.id == world.a.draft_id)).scalar_one()
    assert title != "新标题"


def test_the_api_bounds_its_text_and_its_body(client, world) -> None:
    token = META.search(client.get("/verify").get_data(as_text=True)).group(1)
    body = {"assembly_id": world.a.assembly_id, "name": "名" * 101, "id_number": "1",
            "certificate_no": "c"}
    r = client.post("/api/v1/verification/match", data=json.dumps(body),
                    content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 400 and r.get_json()["field"] == "name"
    r = client.post("/api/v1/verification/match", data=json.dumps({"x": "y" * 300_000}),
                    content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 400 and "KB" in r.get_json()["message"]
    r = client.post("/api/v1/verification/match", data=b"x" * (12 * 1024 * 1024),
                    content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 413 and r.get_json()["error"] == "too_large"
