"""The committee console end to end, on SQLite and PostgreSQL: create → schedule → notice →
(clock moved on) → open → paper ballots, proxies, voids, reminders → close → count →
announce, with the public notice and announcement pages and PDFs, and the audit bundle of
the result verifying offline."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

from cryptography.hazmat.primitives.asymmetric import ec
from pypdf import PdfReader
from sqlalchemy import select

from identity.masking import mask_phone
from identity.pii import PiiCipher, account_phone_purpose
from identity.store.models import Owner, OwnerAccount, Ownership, SmsOutbox, Unit
from ledger.ballots import ballot_payload, key_id, new_nonce, sign_p256, signing_message
from ledger.ballots import spki as spki_of
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import enrolment, logstore, writer
from ledger.store.export import export_bundle
from ledger.store.publish import published
from ledger.verifier import verify_bundle
from tests.support.committee_console import (
    NEW_ASSEMBLY,
    PDF,
    PNG,
    BrowserKey,
    assembly_id,
    local_input,
    set_clock,
    sign_in,
    sign_out,
)
from voting.store.models import Assembly, Document


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _create(client, **changes) -> int:
    r = client.post("/committee/new", data={**NEW_ASSEMBLY, **changes})
    assert r.status_code == 302, r.get_data(as_text=True)
    return assembly_id(r)


def _prepare(client, aid, url, data):
    return client.post(f"/committee/a/{aid}/{url}/prepare", data=data,
                       content_type="multipart/form-data")


def _paper(client, key, aid, building, unit, choices, scan=PNG):
    data = {"building": building, "unit": unit, "official": key_id(key.spki),
            "scan": (io.BytesIO(scan), "scan.png"), **choices}
    r = _prepare(client, aid, "paper", data)
    if not r.get_json()["ok"]:
        return r
    return client.post(f"/committee/a/{aid}/paper/submit", json=key.sign(r.get_json()))


def test_committee_flow(app, client, session, world, ov_settings, tmp_path) -> None:
    sign_in(client, world.members["a1"])
    aid = _create(client)
    page = client.get(f"/committee/a/{aid}").get_data(as_text=True)
    assert "2027年第一次业主大会会议" in page and 'id="publish-notice"' in page

    # More items: an election and a special matter; a document with its SHA-256.
    r = client.post(f"/committee/a/{aid}/items", data={
        "item_title": "选举业主委员会委员", "item_kind": "election", "item_matter": "3",
        "item_candidates": "陈建国\n林秀英\n黄志明", "item_seats": "2"})
    assert r.status_code == 302
    client.post(f"/committee/a/{aid}/items", data={
        "item_title": "筹集维修资金", "item_kind": "motion", "item_matter": "6"})
    bad = client.post(f"/committee/a/{aid}/items", data={
        "item_title": "选举", "item_kind": "election", "item_candidates": "甲", "item_seats": "2"},
        follow_redirects=True)
    assert "席位" in bad.get_data(as_text=True) or "候选人" in bad.get_data(as_text=True)
    client.post(f"/committee/a/{aid}/documents", data={"document": (io.BytesIO(PDF), "规约.pdf")},
                content_type="multipart/form-data")
    session.rollback()  # a new transaction sees what the app committed
    a = session.get(Assembly, aid)
    assert [i.kind for i in a.items] == ["motion", "election", "motion"]
    doc = session.scalars(select(Document).where(Document.assembly_id == aid)).one()
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()

    # The notice period: an opening 10 days away is refused, naming the earliest date.
    now = dt.datetime.now(dt.UTC)
    early = client.post(f"/committee/a/{aid}/schedule", data={
        "opens_at": local_input(now + dt.timedelta(days=10)),
        "closes_at": local_input(now + dt.timedelta(days=20))}, follow_redirects=True)
    assert "物业管理条例" in early.get_data(as_text=True)
    session.rollback()  # a new transaction sees what the app committed
    assert session.get(Assembly, aid).opens_at is None
    reason = client.get(f"/committee/a/{aid}").get_data(as_text=True)
    assert 'disabled aria-describedby="publish-notice-why"' in reason
    opens = now + dt.timedelta(days=15, hours=2)
    closes = opens + dt.timedelta(days=7)
    client.post(f"/committee/a/{aid}/schedule", data={
        "opens_at": local_input(opens), "closes_at": local_input(closes)})
    r = client.post(f"/committee/a/{aid}/notice", follow_redirects=True)
    assert "通知已发布，名册已冻结" in r.get_data(as_text=True), re.findall(
        r'flash[^>]*>([^<]*)', r.get_data(as_text=True))
    session.rollback()  # a new transaction sees what the app committed
    a = session.get(Assembly, aid)
    assert a.status == "noticed" and a.roster_digest

    # Frozen: no more items.
    client.post(f"/committee/a/{aid}/items", data={"item_title": "新议题", "item_matter": "9"})
    session.rollback()  # a new transaction sees what the app committed
    assert len(session.get(Assembly, aid).items) == 3

    # The public notice: page with QR code and PDF with the same facts.
    sign_out(client)
    notice = client.get(f"/a/{aid}/notice").get_data(as_text=True)
    url = f"http://ownervote.test/a/{aid}"
    for text in ("选聘物业服务企业", "陈建国", "筹集维修资金", url, "<svg", "居民委员会",
                 "四分之三"):
        assert text in notice, text
    text = pdf_text(client.get(f"/a/{aid}/notice.pdf").data)
    for fragment in ("2027年第一次业主大会会议", "选聘物业服务企业", "选举业主委员会委员",
                     "林秀英", url, "居民委员会", doc.sha256[:20]):
        assert fragment in text.replace("\n", ""), fragment
    sign_in(client, world.members["a1"])

    # Too early to open: refused with the time; then the clock moves on 16 days.
    r = client.post(f"/committee/a/{aid}/open", follow_redirects=True)
    assert "开始" in r.get_data(as_text=True)
    session.rollback()  # a new transaction sees what the app committed
    assert session.get(Assembly, aid).status == "noticed"
    set_clock(app, days=15, hours=3)
    client.post(f"/committee/a/{aid}/open")
    session.rollback()  # a new transaction sees what the app committed
    assert session.get(Assembly, aid).status == "open"
    during = dt.datetime.now(dt.UTC) + dt.timedelta(days=15, hours=3)

    # An owner votes on the phone (device key through the ledger writer, as the API does).
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    adef, roster = published(session, aid)
    phone_head = roster.head_of_unit["1幢-101"]
    device = ec.generate_private_key(ec.SECP256R1())
    der = spki_of(device.public_key())
    session.commit()
    logstore.begin_write(session)
    enrolment.enroll_key(session, aid, signer, phone_head, der, voter="owner-1", now=during)
    origin = logstore.get_head(session, aid).origin
    payload = ballot_payload(origin, phone_head, key_id(der), 1, {"1": "agree"}, new_nonce())
    writer.cast_ballot(session, aid, payload, sign_p256(device, signing_message(payload)),
                       now=during)
    session.commit()

    # The committee member's browser key, enrolled once (idempotent).
    key = BrowserKey()
    assert key.enroll(client, aid).get_json()["enrolled"] is True
    assert key.enroll(client, aid).get_json()["enrolled"] is False

    ok = _paper(client, key, aid, "1幢", "102", {"item_1": "agree", "item_2": ["陈建国"],
                                                 "item_3": "oppose"})
    assert ok.status_code == 200 and ok.get_json()["ok"], ok.get_json()
    paper_entry = ok.get_json()["entry"]

    # Double vote: the owner of 1幢-101 voted online first; the paper ballot is refused.
    refused = _paper(client, key, aid, "1幢", "101", {"item_1": "oppose"})
    assert refused.status_code == 200 and refused.get_json()["ok"] is False
    message = refused.get_json()["error"]
    at = (during.astimezone(dt.timezone(dt.timedelta(hours=8)))).strftime("%m-%d %H:%M")
    assert "电子投票" in message and at in message and "纸质票" in message, message
    too_many = _paper(client, key, aid, "2幢", "101", {"item_2": ["陈建国", "林秀英", "黄志明"]})
    assert too_many.get_json()["ok"] is False and "席位" in too_many.get_json()["error"]
    nowhere = _paper(client, key, aid, "9幢", "909", {"item_1": "agree"})
    assert nowhere.get_json()["ok"] is False and "9幢-909" in nowhere.get_json()["error"]
    no_scan = _paper(client, key, aid, "2幢", "101", {"item_1": "agree"}, scan=b"not an image")
    assert no_scan.get_json()["ok"] is False and "扫描件" in no_scan.get_json()["error"]

    # Another member's key cannot be used by this member.
    other = BrowserKey()
    prepared = _prepare(client, aid, "paper", {
        "building": "2幢", "unit": "102", "official": key_id(other.spki), "item_1": "agree",
        "scan": (io.BytesIO(PNG), "s.png")}).get_json()
    forged = client.post(f"/committee/a/{aid}/paper/submit", json=other.sign(prepared))
    assert forged.status_code == 403

    # Proxies: cap 1 in this assembly.
    def proxy(unit, number="350881199001011234"):
        data = {"building": "2幢", "unit": unit, "agent_name": "王小明",
                "agent_id_type": "resident_id", "agent_id_number": number,
                "official": key_id(key.spki), "evidence": (io.BytesIO(PNG), "proxy.png")}
        r = _prepare(client, aid, "proxies", data)
        if not r.get_json()["ok"]:
            return r
        return client.post(f"/committee/a/{aid}/proxies/submit",
                           json={**key.sign(r.get_json()), "agent_name": "王小明"})

    import random

    from identity.synthetic import resident_id
    agent_id = resident_id(random.Random(5))
    registered = proxy("201", agent_id)
    assert registered.get_json()["ok"]
    flashed = client.get(registered.get_json()["redirect"]).get_data(as_text=True)
    assert "代理人以纸质表决票投票" in flashed
    capped = proxy("202", agent_id)
    assert capped.get_json()["ok"] is False and "最多代理 1 位" in capped.get_json()["error"]
    bad_id = proxy("202", "123")
    assert bad_id.get_json()["ok"] is False and "证件号码" in bad_id.get_json()["error"]
    listing = client.get(f"/committee/a/{aid}/proxies").get_data(as_text=True)
    assert "王*明" in listing and "王小明" not in listing

    # Void the paper ballot (entered for the wrong unit), then enter it again.
    r = _prepare(client, aid, "void", {"target": str(paper_entry), "reason": "录入单元有误",
                                       "official": key_id(key.spki)})
    assert r.status_code == 200
    assert r.get_json()["summary"] == [f"作废账本第 {paper_entry} 条记录：1幢-102 的纸质表决票。",
                                       "理由（将公开）：录入单元有误"]
    assert client.post(f"/committee/a/{aid}/void/submit",
                       json=key.sign(r.get_json())).get_json()["ok"]
    session.rollback()
    counted_heads = {h for h, _i in writer.counted_votes(session, aid)}
    assert roster.head_of_unit["1幢-102"] not in counted_heads
    again = _paper(client, key, aid, "1幢", "102", {"item_1": "agree", "item_3": "agree"})
    assert again.get_json()["ok"], again.get_json()

    # Dashboard while open: participation only, never choices.
    dash = client.get(f"/committee/a/{aid}/dashboard").get_data(as_text=True)
    assert "gauge" in dash, dash[-3000:]
    assert dash.count('class="gauge"') == 2 * 4
    labels = re.findall(r'aria-label="([^"]*)"', dash)
    assert labels and not any("同意" in label or "反对" in label for label in labels)
    assert "2 / 4" in dash  # 1幢: 101 and 102 took part
    assert 'data-refresh-seconds="15"' in dash and "committee-live.js" in dash
    live = client.get(f"/committee/a/{aid}/dashboard/live")
    assert live.headers["Cache-Control"] == "no-store"
    assert live.get_json()["status"] == "open" and "2 / 4" in live.get_json()["html"]
    assert "通过还需" in live.get_json()["html"]

    # Non-voters and an SMS reminder, throttled.
    owed = client.get(f"/committee/a/{aid}/non-voters").get_data(as_text=True)
    assert "2幢-102" in owed and "1幢-101" not in owed and "*" in owed
    assert "业主姓名（部分隐去）" in owed and "已核验的手机号（部分隐去）" in owed
    cipher = PiiCipher.from_settings(ov_settings)
    session.rollback()  # SQLite: a write needs a snapshot taken after the app's commits
    unit_202 = session.scalars(select(Unit).where(Unit.number == "202",
                                                  Unit.community_id == world.a.id)).all()
    owner_id = session.scalars(select(Ownership.owner_id).where(
        Ownership.unit_id.in_([u.id for u in unit_202]))).first()
    account = OwnerAccount(key="acct-test-1", owner_id=owner_id, holder_kind="self",
                           holder_id_hash=session.get(Owner, owner_id).id_hash,
                           phone_enc=cipher.encrypt_text("13812345678",
                                                         purpose=account_phone_purpose("acct-test-1")),
                           phone_hash="x" * 64, phone_masked=mask_phone("13812345678"))
    session.add(account)
    session.commit()
    client.post(f"/committee/a/{aid}/reminders", data={"building": ""})
    client.post(f"/committee/a/{aid}/reminders", data={"building": ""})
    sent = session.scalars(select(SmsOutbox)).all()
    assert len(sent) == 1 and a.title in sent[0].body and f"/a/{aid}" in sent[0].body
    assert "138****5678" in client.get(f"/committee/a/{aid}/non-voters").get_data(as_text=True)

    # Close: not before the announced time; then count and announce.
    r = client.post(f"/committee/a/{aid}/close", follow_redirects=True)
    assert "截止" in r.get_data(as_text=True)
    set_clock(app, days=23)
    client.post(f"/committee/a/{aid}/close")
    closed = client.get(f"/committee/a/{aid}/dashboard").get_data(as_text=True)
    assert "<h1>投票截止时的参与情况</h1>" in closed and "通过还需" not in closed
    assert "还需" not in closed and "committee-live.js" not in closed
    late = _paper(client, key, aid, "2幢", "101", {"item_1": "agree"})
    assert late.get_json()["ok"] is False and "投票期间" in late.get_json()["error"]
    client.post(f"/committee/a/{aid}/tally")
    session.rollback()  # a new transaction sees what the app committed
    a = session.get(Assembly, aid)
    assert a.status == "tallied" and a.result["items"][0]["participating"]["heads"] == 2
    client.post(f"/committee/a/{aid}/announce")
    session.rollback()  # a new transaction sees what the app committed
    a = session.get(Assembly, aid)
    assert a.status == "announced" and a.objection_until == a.announced_at + dt.timedelta(days=7)
    client.post(f"/committee/a/{aid}/objections", data={"note": "2幢业主对计票提出疑问，已答复。"})
    assert "已答复" in client.get(f"/committee/a/{aid}/results").get_data(as_text=True)

    # The final announcement: refused during the objection period, then issued once.
    results_page = client.get(f"/committee/a/{aid}/results").get_data(as_text=True)
    assert "发布最终公告" in results_page and "异议期满后方可发布最终公告" in results_page
    assert client.get(f"/a/{aid}/final-announcement").status_code == 404
    set_clock(app, days=31)
    client.post(f"/committee/a/{aid}/final-announcement")
    session.rollback()
    assert session.get(Assembly, aid).final_announced_at is not None

    # The public announcement: both dimensions, units and areas of voters, no names.
    sign_out(client)
    page = client.get(f"/a/{aid}/announcement").get_data(as_text=True)
    names = [row["owner_name"] for row in world.rows_a]
    assert "1幢-101" in page and "1幢-102" in page and "2幢-101" not in page
    assert "81.50" in page and "82.50" in page
    assert not any(name in page for name in names)
    assert "未通过" in page  # 2 of 8 owners took part: no quorum
    text = pdf_text(client.get(f"/a/{aid}/announcement.pdf").data).replace("\n", "")
    for fragment in ("2027年第一次业主大会会议", "1幢-101", "1幢-102", "81.50", "未通过"):
        assert fragment in text, fragment
    assert not any(name in text for name in names)
    final = client.get(f"/a/{aid}/final-announcement").get_data(as_text=True)
    assert "业主大会决定最终公告" in final and "共记录异议1件" in final
    text = pdf_text(client.get(f"/a/{aid}/final-announcement.pdf").data).replace("\n", "")
    assert "表决结果最终公告" in text and "1幢-101" in text

    # What the console did verifies offline like any other vote.
    out = export_bundle(session, aid, tmp_path / "bundle.zip", signer)
    report = verify_bundle(out["out"], workers=1, log_key=signer.verifier.vkey)
    assert report.valid, {k: v for k, v in report.checks.items() if v}
    assert report.info["ballots"] == 3  # online, paper (voided), paper again
