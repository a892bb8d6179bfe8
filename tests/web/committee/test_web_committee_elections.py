"""The committee's election pages: the election settings on the draft form, an election item
that does not fit them, a partly elected result worded as such, its further round
(另行选举) prepared as a new draft, and an over-marked paper ballot."""

from __future__ import annotations

import datetime as dt
import io

from ledger.ballots import key_id
from ledger.store import writer
from tests.support.committee_console import (
    NEW_ASSEMBLY,
    PNG,
    BrowserKey,
    assembly_id,
    csrf,
    sign_in,
)
from tests.support.elections import DAY, counted_election, open_election
from voting.ballots import Choice
from voting.settings import AssemblySettings, Ranking
from voting.store.models import Assembly

ELECTION = {"item_title": "选举业主委员会委员", "item_kind": "election", "item_matter": "3",
            "item_candidates": "甲\n乙", "item_seats": "2"}


def test_election_settings_on_the_draft_form(client, session, world) -> None:
    sign_in(client, world.members["a1"])
    token = csrf(client, "/committee/new")
    page = client.get("/committee/new").get_data(as_text=True)
    assert 'name="committee_size"' in page and "差额选举" in page
    form = {**NEW_ASSEMBLY, **ELECTION, "csrf_token": token, "community_id": world.a.id,
            "committee_size": "5", "ranking": "area_then_heads", "competitive_elections": "on"}
    refused = client.post("/committee/new", data=form)
    assert refused.status_code == 400
    assert "候选人须多于席位" in refused.get_data(as_text=True)
    made = client.post("/committee/new", data={**form, "item_candidates": "甲\n乙\n丙"})
    assert made.status_code == 302
    a = session.get(Assembly, assembly_id(made))
    assert a.settings["committee_size"] == 5 and a.settings["ranking"] == "area_then_heads"
    assert a.settings["competitive_elections"] is True
    shown = client.get(f"/committee/a/{a.id}").get_data(as_text=True)
    assert "业主委员会由5名委员组成" in shown or 'value="5" selected' in shown
    bad = client.post("/committee/new", data={**form, "committee_size": "6",
                                              "item_candidates": "甲\n乙\n丙"})
    assert bad.status_code == 400 and "5、7、9或11" in bad.get_data(as_text=True)


def test_a_partly_elected_result_and_its_further_round(app, client, session, world,
                                                       ov_settings) -> None:
    rules = AssemblySettings(ranking=Ranking.AREA_THEN_HEADS)
    aid = counted_election(session, world.a.id, ov_settings, rules)
    sign_in(client, world.members["a1"])
    page = client.get(f"/committee/a/{aid}/results").get_data(as_text=True)
    assert "部分当选：仍有1个席位空缺，业主委员会尚未组成完整" in page
    assert "准备另行选举" in page
    token = csrf(client, f"/committee/a/{aid}/results")
    made = client.post(f"/committee/a/{aid}/items/2/further-round",
                       data={"csrf_token": token})
    assert made.status_code == 302
    draft = session.get(Assembly, assembly_id(made))
    assert draft.status == "draft" and draft.title.startswith("另行选举：")
    assert [(i.seats, sorted(i.candidates)) for i in draft.items] == [(1, ["丙", "乙"])]
    assert draft.settings.get("ranking") == "area_then_heads"
    assert "另行选举" in client.get(f"/committee/a/{draft.id}").get_data(as_text=True)
    # a motion has no further round: said in words, nothing created
    count = session.query(Assembly).count()
    again = client.post(f"/committee/a/{aid}/items/1/further-round",
                        data={"csrf_token": csrf(client, f"/committee/a/{aid}/results")},
                        follow_redirects=True)
    assert "第1项不是选举事项" in again.get_data(as_text=True)
    assert session.query(Assembly).count() == count


def test_an_over_marked_paper_election_ballot_is_entered_as_invalid(client, session, world,
                                                                     ov_settings) -> None:
    notice_at = dt.datetime.now(dt.UTC).replace(microsecond=0) - 16 * DAY - dt.timedelta(
        minutes=5)
    aid = open_election(session, world.a.id, ov_settings, AssemblySettings(),
                        notice_at=notice_at)
    sign_in(client, world.members["a1"])
    page = client.get(f"/committee/a/{aid}/paper").get_data(as_text=True)
    assert 'name="item_2_invalid"' in page and "勾选超过2人或无法辨认" in page
    key = BrowserKey()
    assert key.enroll(client, aid).get_json()["enrolled"] is True
    data = {"building": "1幢", "unit": "101", "official": key_id(key.spki),
            "scan": (io.BytesIO(PNG), "scan.png"), "item_1": "agree", "item_2_invalid": "on",
            "item_2": ["甲", "乙", "丙"]}  # three ticked for two seats: invalid, as marked
    prepared = client.post(f"/committee/a/{aid}/paper/prepare", data=data,
                           content_type="multipart/form-data").get_json()
    assert prepared["ok"], prepared
    assert prepared["payload"]["choices"] == {"1": "agree", "2": "invalid"}
    assert any("无效票" in line for line in prepared["summary"])
    done = client.post(f"/committee/a/{aid}/paper/submit", json=key.sign(prepared)).get_json()
    assert done["ok"], done
    session.rollback()
    votes = writer.counted_votes(session, aid)
    assert Choice.INVALID in votes.values()
