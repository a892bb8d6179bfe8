"""The console refuses look-alike titles and candidates (issue 15 item 11): a hidden character
in a title or a candidate's name, and two candidates that differ only by one, by full width or
by spaces, are refused with a message that names the character; nothing is saved."""

from __future__ import annotations

from tests.support.committee_console import NEW_ASSEMBLY, assembly_id, sign_in
from voting.store.models import Assembly


def test_a_title_with_a_hidden_character_is_refused(client, world, session) -> None:
    sign_in(client, world.members["a1"])
    before = session.query(Assembly).count()
    r = client.post("/committee/new", data={**NEW_ASSEMBLY, "title": "业主\u202e大会"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "不可见或改变文字方向的字符" in page and "U+202E" in page
    session.rollback()
    assert session.query(Assembly).count() == before


def test_look_alike_candidates_are_one_candidate(client, world, session) -> None:
    sign_in(client, world.members["a1"])
    r = client.post("/committee/new", data=NEW_ASSEMBLY)
    aid = assembly_id(r)
    for candidates, message in (("张三\n张\u200b三", "U+200B"), ("Ａ\nA", "候选人"),
                                ("王 五\n王  五", "候选人")):
        page = client.post(f"/committee/a/{aid}/items", data={
            "item_title": "选举业主委员会委员", "item_kind": "election", "item_matter": "3",
            "item_candidates": candidates, "item_seats": "1"},
            follow_redirects=True).get_data(as_text=True)
        assert message in page, candidates
    session.rollback()
    assert [i.kind for i in session.get(Assembly, aid).items] == ["motion"]
