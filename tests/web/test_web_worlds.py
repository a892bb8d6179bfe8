"""The two-community world (``tests/support/worlds.py``) is what the web tests take it for."""

from __future__ import annotations

from tests.support.worlds import build_world, sign_in_as


def test_world(session, ov_settings, app, client) -> None:
    world = build_world(session, ov_settings)
    assert world.a.community_id != world.b.community_id
    assert world.a.checkpoint_size > 5 and len(world.a.tracker) == 24
    sign_in_as(client, app, world.principal("auditor"))
    assert client.get("/audit/").status_code == 200
    with client.session_transaction() as sess:
        assert sess["_user_id"].startswith(f"s:{world.staff['auditor']}:")
