"""Who may use the committee console: every route of the console walked (GET and POST) by
a committee member of another community (404, nothing changes), by someone signed out
(401); the review queue's two-other-members rule; CSRF on every form."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from identity.store.models import ReviewRequest, RosterVersion
from ownervote.audit import AuditEvent
from tests.support.committee_console import (
    NEW_ASSEMBLY,
    PDF,
    PNG,
    assembly_id,
    console_records,
    csrf,
    local_input,
    sign_in,
    sign_out,
)
from voting.store.models import Assembly, Document

CONSOLE = ("committee.", "notices.")


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint.startswith(CONSOLE):
            yield rule


def test_every_console_view_states_its_audience(app) -> None:
    views = [app.view_functions[r.endpoint] for r in _routes(app)]
    assert len(views) >= 40
    unmarked = [r.endpoint for r in _routes(app)
                if not hasattr(app.view_functions[r.endpoint], "allowed_roles")]
    assert unmarked == []
    public = {r.endpoint for r in _routes(app)
              if app.view_functions[r.endpoint].allowed_roles is None}
    assert public == {"notices.notice_page", "notices.notice_pdf",
                      "notices.announcement_page", "notices.announcement_pdf",
                      "notices.final_announcement_page", "notices.final_announcement_pdf"}


def _a_records(app, client, session, world) -> dict:
    """Community A's records, made through the console by A's committee."""
    sign_in(client, world.members["a1"])
    aid = assembly_id(client.post("/committee/new", data=NEW_ASSEMBLY))
    client.post(f"/committee/a/{aid}/documents", data={"document": (io.BytesIO(PDF), "a.pdf")},
                content_type="multipart/form-data")
    draft = assembly_id(client.post("/committee/new", data={**NEW_ASSEMBLY, "title": "草稿"}))
    now = dt.datetime.now(dt.UTC)
    client.post(f"/committee/a/{aid}/schedule", data={
        "opens_at": local_input(now + dt.timedelta(days=16)),
        "closes_at": local_input(now + dt.timedelta(days=20))})
    client.post(f"/committee/a/{aid}/notice")
    client.post("/committee/review/new", data={
        "kind": "heir", "unit": "1幢-101", "name": "测试继承人", "id_type": "resident_id",
        "id_number": world.rows_a[1]["id_number"], "replace": "on",
        "evidence": (io.BytesIO(PNG), "will.png")}, content_type="multipart/form-data")
    session.rollback()
    review = session.scalars(select(ReviewRequest)).one()
    with app.test_request_context():
        from web.committee import vault

        sha, _ = vault.put(aid, "scan", PNG)
    doc = session.scalars(select(Document).where(Document.assembly_id == aid)).one()
    assert session.get(Assembly, aid).status == "noticed"
    return {"assembly_id": aid, "document_id": doc.id, "position": 1, "kind": "scan",
            "sha256": sha, "reference": review.reference, "evidence_id": review.evidence[0].id,
            "action": "approve", "draft": draft}


def _state(session) -> tuple:
    session.rollback()
    return (session.scalar(select(func.count()).select_from(AuditEvent)),
            tuple((a.id, a.status, a.title, len(a.items)) for a in
                  session.scalars(select(Assembly).order_by(Assembly.id))),
            session.scalar(select(func.count()).select_from(RosterVersion)))


def test_another_communitys_member_gets_404_on_every_route(app, client, session,
                                                            world) -> None:
    ids = _a_records(app, client, session, world)
    sign_in(client, world.members["b1"])
    before = _state(session)
    tried = 0
    for rule in _routes(app):
        if not rule.arguments or rule.endpoint.startswith("notices."):
            continue
        path = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            r = client.open(path, method=method, data={"title": "x", "note": "x" * 10},
                            json=None) if method == "POST" else client.get(path)
            tried += 1
            assert r.status_code == 404, f"{method} {path}: {r.status_code}"
    assert tried >= 30  # every console route with an id, each method
    assert _state(session) == before  # nothing changed, not even an audit record
    # Routes without an id show B's own records only.
    listing = client.get("/committee/").get_data(as_text=True)
    assert NEW_ASSEMBLY["title"] not in listing
    assert ids["reference"] not in client.get("/committee/review").get_data(as_text=True)
    assert client.get(f"/committee/review?community_id={world.a.id}").status_code == 404


def test_signed_out_gets_401_and_public_pages_stay_public(app, client, session, world) -> None:
    ids = _a_records(app, client, session, world)
    sign_out(client)
    csrf(client, "/")
    for rule in _routes(app):
        path = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
        method = "GET" if "GET" in rule.methods else "POST"
        status = client.open(path, method=method).status_code
        if rule.endpoint.startswith("notices."):
            expected = 404 if "announcement" in rule.endpoint else 200
            assert status == expected, f"{path}: {status}"
        else:
            assert status == 401, f"{method} {path}: {status}"
    assert client.get(f"/a/{ids['draft']}/notice").status_code == 404  # drafts are private


def test_every_post_needs_the_csrf_token(app, client, session, world) -> None:
    ids = _a_records(app, client, session, world)
    client.environ_base.pop("HTTP_X_CSRFTOKEN")
    r = client.post(f"/committee/a/{ids['assembly_id']}/open")
    assert r.status_code == 400 and "表单已过期" in r.get_data(as_text=True)
    html = client.get(f"/committee/a/{ids['draft']}").get_data(as_text=True)
    assert html.count("<form method=\"post\"") == html.count('name="csrf_token"')


def test_review_needs_two_members_other_than_the_submitter(app, client, session, world) -> None:
    ids = _a_records(app, client, session, world)
    ref = ids["reference"]
    page = client.get(f"/committee/review/{ref}").get_data(as_text=True)
    assert 'id="approve" disabled' in page and "由您提交" in page  # a1 submitted it
    refused = client.post(f"/committee/review/{ref}/approve", follow_redirects=True)
    assert "此审核由您提交" in refused.get_data(as_text=True)  # the reason, in Chinese
    session.rollback()
    assert session.scalars(select(ReviewRequest)).one().decisions == []
    versions = session.scalar(select(func.count()).select_from(RosterVersion))
    evidence = client.get(f"/committee/review/{ref}/evidence/{ids['evidence_id']}")
    assert evidence.data == PNG and evidence.headers["Cache-Control"] == "no-store"
    sign_in(client, world.members["a2"])
    client.post(f"/committee/review/{ref}/approve")
    page = client.get(f"/committee/review/{ref}").get_data(as_text=True)
    assert "1 / 2" in page and 'id="approve" disabled' in page  # a2 already approved
    sign_in(client, world.members["a3"])
    client.post(f"/committee/review/{ref}/approve")
    session.rollback()
    assert session.scalars(select(ReviewRequest)).one().status == "approved"
    # the heir's ownership is a new roster version (the noticed assembly keeps its own)
    assert session.scalar(select(func.count()).select_from(RosterVersion)) == versions + 1
    assert "测试继承人" not in client.get(f"/committee/review/{ref}").get_data(as_text=True)


def test_console_records_helper_for_route_walks(app, session, world, ov_settings) -> None:
    from ledger.store.proceedings import ItemSpec, create_assembly

    a = create_assembly(session, world.a.id, "草稿", [ItemSpec("议题", 4)])
    session.commit()
    params = console_records(app, session, ov_settings, community_id=world.a.id,
                             assembly_id=a.id, submitter_id=world.members["a1"].staff_id,
                             id_number=world.rows_a[2]["id_number"])
    client = app.test_client()
    sign_in(client, world.members["a2"])
    assert client.get(f"/committee/review/{params['reference']}").status_code == 200
    assert client.get(f"/committee/a/{a.id}/files/scan/{params['sha256']}").data == PNG
    assert client.get(f"/committee/a/{a.id}/documents/{params['document_id']}").data == PDF


def test_the_test_clock(app, client, world) -> None:
    from web.committee.clock import parse_offset

    assert parse_offset("1d12h") == dt.timedelta(days=1, hours=12)
    assert parse_offset("") == dt.timedelta(0)
    for bad in ("16", "2w", "-1d", "1.5d"):
        with pytest.raises(ValueError):
            parse_offset(bad)
    sign_in(client, world.members["a1"])
    assert "clock-banner" not in client.get("/committee/").get_data(as_text=True)
    app.config["OWNERVOTE_CLOCK_OFFSET"] = dt.timedelta(days=2)
    assert "快 48 小时" in client.get("/committee/").get_data(as_text=True)


def test_a_production_server_refuses_the_test_clock(ov_settings, monkeypatch) -> None:
    from dataclasses import replace

    from web import create_app

    monkeypatch.setenv("OWNERVOTE_CLOCK_OFFSET", "16d")
    with pytest.raises(RuntimeError, match="production"):
        create_app(replace(ov_settings, env="production"), TESTING=True)
