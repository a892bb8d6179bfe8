"""Owner pages rendered by the server (both databases): what each step shows, and to whom."""

from __future__ import annotations

import hashlib
import re

from tests.support.phones import Phone
from tests.support.small_community import CHEN, HUANG, LIN, make_world
from voting.store.models import Document

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)", re.I)


def page(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:500])
    html = r.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html) and " style=" not in html
    return html


def without_tokens(html: str) -> str:
    return re.sub(r'(csrf-token" content="|name="csrf_token" value=")[^"]+', r"\1", html)


def test_assembly_page_shows_agenda_deadline_and_participation(client, world) -> None:
    html = page(client, f"/a/{world.assembly_id}")
    assert 'lang="zh-CN"' in html and "2026年第二次业主大会会议" in html
    assert "选聘物业服务企业" in html and "筹集住宅专项维修资金" in html
    assert html.count("特别事项 · 四分之三") == 1 and html.count("一般事项 · 过半数") == 2
    assert "以下候选人中最多选 2 名" in html  # the election's seats
    assert html.count('<svg class="gauge"') == 6  # area and owners for each of 3 items
    assert "已投票面积：0%" in html and "投票截止" in html and "现在投票" in html
    assert "投票截止前，您可以随时改票" in html  # the revote policy in plain words


def test_participation_never_reveals_a_choice(client, app, world) -> None:
    voter = Phone(app.test_client(), world.assembly_id)
    t = voter.ready(CHEN)
    voter.cast(voter.ballot(t, {"1": "agree"}))
    agreed = without_tokens(page(client, f"/a/{world.assembly_id}"))
    assert "位业主中的 1 位" in agreed
    voter.cast(voter.ballot(voter.template(), {"1": "oppose"}))
    opposed = without_tokens(page(client, f"/a/{world.assembly_id}"))
    assert agreed == opposed  # same participation, different choice: the page is identical
    api = client.get(f"/api/v1/assemblies/{world.assembly_id}").get_json()
    assert api["participation"][0]["participating"]["heads"] == 1
    assert "agree" not in str(api["participation"]) and "oppose" not in str(api)


def test_documents_are_served_safely(client, session, ov_settings, world) -> None:
    pdf, html_doc = b"%PDF-1.4 notice", b"<script>alert(1)</script>"
    for name, mime, content in (("通知.pdf", "application/pdf", pdf),
                                ("page.html", "text/html", html_doc)):
        session.add(Document(assembly_id=world.assembly_id, filename=name, mime=mime,
                             sha256=hashlib.sha256(content).hexdigest(), content=content))
    session.commit()
    html = page(client, f"/a/{world.assembly_id}")
    links = re.findall(r'href="(/a/\d+/documents/\d+)"', html)
    assert len(links) == 2 and "通知.pdf" in html
    r = client.get(links[0])
    assert r.data == pdf and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("inline")
    r = client.get(links[1])
    assert r.mimetype == "application/octet-stream"  # never rendered as a page
    assert r.headers["Content-Disposition"].startswith("attachment")
    other = make_world(session, ov_settings, title="另一次")
    doc_id = links[0].rsplit("/", 1)[1]
    assert client.get(f"/a/{other.assembly_id}/documents/{doc_id}").status_code == 404


def test_draft_and_unknown_assemblies_are_404(client, world) -> None:
    assert "无法完成此操作" in page(client, "/a/9999", 404)
    assert client.get("/a/9999/vote").status_code == 404


def test_verify_page_has_labelled_steps_and_the_demo_hint(client, world) -> None:
    html = page(client, f"/a/{world.assembly_id}/verify")
    for field in ("name", "id_type", "id_number", "certificate_no", "building", "unit", "phone",
                  "code"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "演示环境" in html and 'aria-current="step"' in html
    assert html.count("hidden>") >= 3  # one step shown at a time


def test_ballot_page_sends_strangers_to_verify(client, world) -> None:
    r = client.get(f"/a/{world.assembly_id}/vote")
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/a/{world.assembly_id}/verify")


def test_ballot_page_for_an_owner(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    phone.verify(CHEN)
    html = page(client, f"/a/{world.assembly_id}/vote")
    assert "1幢-101、1幢-201" in html  # one buyer of two flats votes once for both
    assert html.count('type="radio"') == 6 and html.count('name="item-3"') == 3
    assert 'data-seats="2"' in html and "弃权（不选任何候选人）" in html
    assert "下一步：核对我的选择" in html and "签名并投出选票" in html
    assert "您已经投过票" not in html


def test_ballot_page_after_voting_explains_what_counts(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    tracker = phone.cast(phone.ballot(t, {"1": "agree"})).get_json()["tracker"]
    html = page(client, f"/a/{world.assembly_id}/vote")
    assert "您已经投过票" in html and tracker in html and "第 1 项计票" in html
    assert "您目前的投票：" in html and "只有您这次选择的事项会被更改" in html


def test_co_owner_sees_who_votes(client, app, world) -> None:
    Phone(app.test_client(), world.assembly_id).verify(LIN)  # 林芳 verifies first
    huang = Phone(client, world.assembly_id)
    huang.verify(HUANG)
    html = page(client, f"/a/{world.assembly_id}/vote")
    assert "这处房屋由共有人 林* 投票（最先完成身份核验的共有人）" in html
    assert 'id="form-ballot"' not in html


def test_several_homes_are_chosen_one_at_a_time(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    phone.verify(LIN)
    html = page(client, f"/a/{world.assembly_id}/vote")
    assert "您要为哪一处房屋投票？" in html
    heads = re.findall(r'href="/a/\d+/vote\?head=(h-[0-9a-f]{16})"', html)
    assert len(heads) == 2
    html = page(client, f"/a/{world.assembly_id}/vote?head={heads[0]}")
    assert 'id="form-ballot"' in html and f'data-head="{heads[0]}"' in html


def test_receipt_page_shows_choices_only_to_the_voter(client, app, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    tracker = phone.cast(phone.ballot(t, {"1": "agree", "3": ["陈建国"]})).get_json()["tracker"]
    html = page(client, f"/a/{world.assembly_id}/receipt/{tracker}")
    assert "投票成功" in html and tracker in html and '<svg role="img"' in html
    assert "同意" in html and "陈建国" in html and "我要改票" in html
    stranger = page(app.test_client(), f"/a/{world.assembly_id}/receipt/{tracker}")
    assert "投票回执" in stranger and tracker in stranger
    assert "陈建国" not in stranger.split("选举业主委员会委员")[-1].split("</li>")[0]
    assert "我要改票" not in stranger and "只向投票的业主本人" in stranger
    assert "已被后来的选票取代" not in stranger and "同意" not in stranger
    page(client, f"/a/{world.assembly_id}/receipt/AAAA-AAAA-AAAA-AAAA-AAAA", 404)
    page(client, f"/a/{world.assembly_id}/receipt/not-a-code", 400)


def test_check_pages(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    tracker = phone.cast(phone.ballot(t, {"2": "abstain"})).get_json()["tracker"]
    r = client.get(f"/a/{world.assembly_id}/check", query_string={"tracker": tracker.lower()})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/check/{tracker}")
    html = page(client, f"/a/{world.assembly_id}/check/{tracker}")
    assert html.count("data-check=") == 9 and "owner-check.js" in html
    assert "账本公钥与通知上公布的一致" in html and "notice-key.js" in html
    assert f'data-lookup-url="/api/v1/assemblies/{world.assembly_id}/receipts/{tracker}"' in html
    assert "查验码由20个字母和数字组成" in page(
        client, f"/a/{world.assembly_id}/check?tracker=oops")


def test_switching_between_people_verified_on_this_phone(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    first = phone.verify(CHEN)
    phone.number = "13700000002"  # a number gets one code a minute (sms.phone)
    phone.verify(LIN)
    html = page(client, f"/a/{world.assembly_id}/vote")
    assert 'name="account"' in html and "陈*" in html and "林*" in html
    r = client.post(f"/a/{world.assembly_id}/acting-for", data={
        "account": first["id"], "csrf_token": phone.refresh_csrf()})
    assert r.status_code == 302
    assert client.get("/api/v1/session").get_json()["account"]["id"] == first["id"]
    r = client.post(f"/a/{world.assembly_id}/acting-for", data={
        "account": "999", "csrf_token": phone.refresh_csrf()})
    assert r.status_code == 403


def test_english_by_switch(client, world) -> None:
    client.set_cookie("lang", "en")
    html = page(client, f"/a/{world.assembly_id}")
    assert "Special matter · 3/4" in html and "Vote now" in html
    assert "You may change your vote as often as you like" in html
