"""The committee's transfers page (SQLite and PostgreSQL): a unit sold during the vote is
recorded from the registry, signed with the member's browser key; the seller's ballots from
after the transfer must be voided first; the page lists what was recorded, without the
buyer's identity."""

from __future__ import annotations

import datetime as dt
import io
import random

from cryptography.hazmat.primitives.asymmetric import ec

from identity.synthetic import resident_id
from ledger.ballots import ballot_payload, key_id, new_nonce, sign_p256, signing_message
from ledger.ballots import spki as spki_of
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import enrolment, logstore, writer
from ledger.store.proceedings import ItemSpec, create_assembly, open_voting, publish_notice
from ledger.store.publish import published
from tests.support.committee_console import (
    PNG,
    BrowserKey,
    local_input,
    sign_in,
)


def _open_assembly(session, ov_settings, community_id: int) -> int:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    a = create_assembly(session, community_id, "2027年第二次业主大会会议",
                        [ItemSpec("选聘物业服务企业", 4, "服务期三年。"),
                         ItemSpec("筹集维修资金", 6, "续筹。")],
                        opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=9),
                        actor="test")
    session.commit()
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    logstore.begin_write(session)
    publish_notice(session, a, signer, ownervote_settings=ov_settings,
                   now=now - dt.timedelta(days=17), actor="test")
    open_voting(session, a, signer, now=a.opens_at, actor="test")
    session.commit()
    return a.id


def _cast(session, ov_settings, aid: int, head: str, choices: dict) -> int:
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    device = ec.generate_private_key(ec.SECP256R1())
    der = spki_of(device.public_key())
    logstore.begin_write(session)
    enrolment.enroll_key(session, aid, signer, head, der, voter="seller-ref")
    origin = logstore.get_head(session, aid).origin
    payload = ballot_payload(origin, head, key_id(der), 1, choices, new_nonce())
    out = writer.cast_ballot(session, aid, payload, sign_p256(device, signing_message(payload)))
    session.commit()
    return out.index


def test_record_a_transfer(app, client, session, world, ov_settings) -> None:
    aid = _open_assembly(session, ov_settings, world.a.id)
    roster = published(session, aid)[1]
    session.commit()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    late = _cast(session, ov_settings, aid, roster.head_of_unit["1幢-102"], {"1": "agree"})
    sign_in(client, world.members["a1"])
    key = BrowserKey()
    assert key.enroll(client, aid).status_code == 200

    def prepare(unit, at, number=None, evidence=PNG):
        return client.post(f"/committee/a/{aid}/transfers/prepare", data={
            "building": "1幢", "unit": unit, "transferred_at": local_input(at),
            "buyer_id_type": "resident_id",
            "buyer_id_number": number or resident_id(random.Random(3)),
            "official": key_id(key.spki), "evidence": (io.BytesIO(evidence), "record.png")},
            content_type="multipart/form-data").get_json()

    # 1幢-102's owner voted after the transfer time: void that ballot first.
    refused = prepare("102", before)
    assert refused["ok"] is False and f"作废账本记录 {late}" in refused["error"]
    assert "不能晚于现在" in prepare("101", dt.datetime.now(dt.UTC) + dt.timedelta(days=1))["error"]
    assert "证件号码" in prepare("101", before, number="123")["error"]
    assert "扫描件" in prepare("101", before, evidence=b"not an image")["error"]
    assert "1幢-909" in prepare("909", before)["error"]

    prepared = prepare("101", before)
    assert prepared["ok"] and prepared["kind"] == "unit.transferred"
    assert any("1幢-101" in line for line in prepared["summary"])
    done = client.post(f"/committee/a/{aid}/transfers/submit", json=key.sign(prepared))
    assert done.get_json()["ok"], done.get_json()
    again = prepare("101", before)
    assert again["ok"] is False and "已登记" in again["error"]

    page = client.get(f"/committee/a/{aid}/transfers").get_data(as_text=True)
    assert "1幢-101" in page and f"#{done.get_json()['entry']}" in page
    assert resident_id(random.Random(3)) not in page  # the buyer only as a pseudonym
    other = world.members["b1"]  # another community's member sees nothing of it
    sign_in(client, other)
    assert client.get(f"/committee/a/{aid}/transfers").status_code in (403, 404)
