"""A home sold during the vote, through the owners' API (SQLite and PostgreSQL): the
registry refresh shows the buyer, the committee records the transfer in the log, the
seller's phone may no longer vote, the buyer's may — except on an item the seller had
already voted on, whose ballot stands."""

from __future__ import annotations

import random
import time

from identity.store.importer import import_extract
from identity.synthetic import resident_id
from ledger import timestamps
from ledger.ballots import key_id, new_nonce, sign_p256, spki
from ledger.entries import signed_message
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.kinds import UNIT_TRANSFERRED
from ledger.store import committee, enrolment, logstore, writer
from tests.support.phones import Phone, new_key
from tests.support.small_community import SMALL, WANG, ZHANG

BUYER_ID = resident_id(random.Random(77), region="350881")
BUYER = ("周七", BUYER_ID, None, ("1幢", "202"))


def _refresh_with_buyer(session, ov_settings) -> None:
    text = SMALL.read_text(encoding="utf-8").replace(
        "1幢,202,,张三丰,居民身份证,350203197006150045,",
        f"1幢,202,,周七,居民身份证,{BUYER_ID},")
    import_extract(session, "测试小区", text.encode(), settings=ov_settings)
    session.commit()


def _record_transfer(app, session, ov_settings, aid: int, head: str,
                     buyer_id: str = BUYER_ID) -> None:
    """What the committee's transfers page appends (signed with a member's key)."""
    from web.committee.transfers import buyer_ref

    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    member = new_key()
    der = spki(member.public_key())
    origin = logstore.get_head(session, aid).origin
    with app.app_context():
        buyer = buyer_ref(origin, "resident_id", buyer_id)
    session.commit()
    logstore.begin_write(session)
    enrolment.enroll_official(session, aid, signer, der, "staff-9")
    payload = {"origin": origin, "head": head, "buyer": buyer,
               "transferred_at": timestamps.now_ms() - 1, "official": key_id(der),
               "nonce": new_nonce(), "evidence_sha256": "cd" * 32}
    committee.record_transfer(session, aid, payload,
                           sign_p256(member, signed_message(UNIT_TRANSFERRED, payload)))
    session.commit()


def test_the_buyer_votes_after_the_transfer(app, session, ov_settings, world) -> None:
    seller = Phone(app.test_client(), world.assembly_id)
    t = seller.ready(ZHANG)
    head = t["head"]["id"]
    assert seller.cast(seller.ballot(t, {"1": "agree"})).status_code == 201
    t = seller.template()

    _refresh_with_buyer(session, ov_settings)
    time.sleep(0.01)  # the transfer is registered after the seller's ballot
    _record_transfer(app, session, ov_settings, world.assembly_id, head)

    after = seller.template()
    assert after["head"]["may_vote"] is False
    assert after["head"]["voter"]["basis"] == "transferred"
    refused = seller.cast(seller.ballot(after, {"2": "oppose"}))
    assert refused.status_code == 422 and refused.get_json()["error"] == "unit_transferred"
    assert "过户" in refused.get_json()["message"]
    page = seller.client.get(f"/a/{world.assembly_id}/vote").get_data(as_text=True)
    assert "这套房屋在投票期间已经过户" in page and "过户前为这套房屋投出的票仍然有效" in page

    buyer = Phone(app.test_client(), world.assembly_id)
    t = buyer.ready(BUYER, by_unit=True)
    assert t["head"]["id"] == head and t["head"]["may_vote"] is True
    assert t["head"]["units"] == ["1幢-202"]
    assert "过户前" in t["items"][0]["locked"]  # item 1: the seller's ballot stands
    assert t["items"][1]["locked"] is None
    locked = buyer.cast(buyer.ballot(t, {"1": "oppose", "2": "agree"}))
    assert locked.status_code == 422
    assert locked.get_json()["error"] == "seller_voted_before_transfer"
    assert buyer.cast(buyer.ballot(t, {"2": "agree"})).status_code == 201

    session.rollback()
    votes = writer.counted_votes(session, world.assembly_id)
    assert votes[(head, "1")].value == "agree"  # the seller's
    assert votes[(head, "2")].value == "agree"  # the buyer's (tally and verifier agree:
    # tests/db/test_ledger_transfer.py)


def test_only_the_registered_owner_can_be_the_buyer(app, session, ov_settings,
                                                    world) -> None:
    """A transfer naming someone who does not own the unit in the register gives them
    nothing: the buyer's account must hold the unit now."""
    seller = Phone(app.test_client(), world.assembly_id)
    head = seller.ready(ZHANG)["head"]["id"]
    _record_transfer(app, session, ov_settings, world.assembly_id, head, buyer_id=WANG[1])
    other = Phone(app.test_client(), world.assembly_id)
    other.verify(WANG)
    t = other.template()
    assert head not in [h["id"] for h in t["heads"]]
    assert seller.template()["head"]["may_vote"] is False  # the seller's vote is gone still


def test_one_unit_of_a_multi_unit_owner_is_sold(app, session, ov_settings, world) -> None:
    """陈明's two flats are one owner in the frozen roster.  The committee's form records the
    sale of one of them (the entry names the unit): the buyer becomes an owner of their own
    for it, except on the item 陈明 voted on before the sale, whose ballot stands for both
    flats and can no longer be changed; 陈明 votes on for the flat he keeps
    (docs/rules.md 7.7)."""
    import datetime as dt
    import io

    from identity.pii import PiiCipher
    from identity.store.models import Community
    from identity.store.staff import create_staff
    from ledger.store.sales import sales_now
    from tests.support.committee_console import PNG, BrowserKey, Member, sign_in
    from tests.support.small_community import CHEN
    from voting.sales import new_head_id

    seller = Phone(app.test_client(), world.assembly_id)
    t = seller.ready(CHEN)
    head = t["head"]["id"]
    assert sorted(t["head"]["units"]) == ["1幢-101", "1幢-201"]
    assert seller.cast(seller.ballot(t, {"1": "agree"})).status_code == 201

    text = SMALL.read_text(encoding="utf-8").replace(
        "1幢,101,闽(2021)漳平市不动产权第0000101号,陈明,居民身份证,350881198503120011,",
        f"1幢,101,闽(2021)漳平市不动产权第0000101号,周七,居民身份证,{BUYER_ID},")
    import_extract(session, "测试小区", text.encode(), settings=ov_settings)
    community = session.query(Community).filter_by(name="测试小区").one()
    user, secret = create_staff(session, PiiCipher.from_settings(ov_settings), username="c1",
                                password="c1-password-1", role="committee",
                                community=community)
    session.commit()
    time.sleep(2.1)  # the transfer (to the second) is registered after the seller's ballot
    client = app.test_client()
    sign_in(client, Member("c1", "c1-password-1", secret, user.id))
    key = BrowserKey()
    assert key.enroll(client, world.assembly_id).status_code == 200
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=0.1)).astimezone(
        dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S")
    prepared = client.post(f"/committee/a/{world.assembly_id}/transfers/prepare", data={
        "building": "1幢", "unit": "101", "transferred_at": at,
        "buyer_id_type": "resident_id", "buyer_id_number": BUYER_ID,
        "official": key_id(key.spki), "evidence": (io.BytesIO(PNG), "record.png")},
        content_type="multipart/form-data").get_json()
    assert prepared["ok"], prepared
    assert prepared["payload"]["unit"] == "1幢-101" and prepared["payload"]["head"] == head
    assert "buyer_head" not in prepared["payload"]  # 周七 owns nothing else here
    done = client.post(f"/committee/a/{world.assembly_id}/transfers/submit",
                       json=key.sign(prepared)).get_json()
    assert done["ok"], done
    page = client.get(f"/committee/a/{world.assembly_id}/transfers").get_data(as_text=True)
    assert "1幢-101" in page and "1幢-201" not in page

    after = seller.template()
    assert after["head"]["id"] == head and after["head"]["may_vote"] is True
    assert after["head"]["units"] == ["1幢-201"]
    stands = seller.cast(seller.ballot(after, {"1": "oppose"}))
    assert stands.status_code == 422 and stands.get_json()["error"] == "sold_unit_vote_stands"
    assert "不能再更改" in stands.get_json()["message"]
    assert seller.cast(seller.ballot(after, {"2": "oppose"})).status_code == 201

    buyer = Phone(app.test_client(), world.assembly_id)
    t = buyer.ready(("周七", BUYER_ID, None, ("1幢", "101")), by_unit=True)
    assert t["head"]["id"] == new_head_id("1幢-101") and t["head"]["may_vote"] is True
    assert t["head"]["units"] == ["1幢-101"]
    assert t["items"][0]["locked"] and t["items"][1]["locked"] is None
    locked = buyer.cast(buyer.ballot(t, {"1": "oppose"}))
    assert locked.status_code == 422
    assert locked.get_json()["error"] == "seller_voted_before_transfer"
    assert buyer.cast(buyer.ballot(t, {"2": "agree"})).status_code == 201

    session.rollback()
    votes = writer.counted_votes(session, world.assembly_id)
    assert votes[(head, "1")].value == "agree"  # 陈明's, for both flats
    assert votes[(head, "2")].value == "oppose"  # 陈明's, for 1幢-201
    assert votes[(new_head_id("1幢-101"), "2")].value == "agree"  # 周七's
    sales = sales_now(session, world.assembly_id)
    assert sales is not None and sales.roster.heads[head].unit_ids == ("1幢-201",)


def test_a_buyer_who_already_owns_a_unit_stays_one_owner(app, session, ov_settings,
                                                         world) -> None:
    """李四 already owns 1幢-301 alone and buys the developer's 1幢-302: the form's entry
    names 李四's head (``buyer_head``): one buyer of several units is one owner."""
    import datetime as dt
    import io

    from identity.pii import PiiCipher
    from identity.store.models import Community
    from identity.store.staff import create_staff
    from ledger.store.publish import published
    from ledger.store.sales import sales_now
    from tests.support.committee_console import PNG, BrowserKey, Member, local_input, sign_in

    community = session.query(Community).filter_by(name="测试小区").one()
    user, secret = create_staff(session, PiiCipher.from_settings(ov_settings), username="c1",
                                password="c1-password-1", role="committee",
                                community=community)
    roster = published(session, world.assembly_id)[1]
    session.commit()
    developer, li = roster.head_of_unit["1幢-302"], roster.head_of_unit["1幢-301"]
    assert roster.heads[developer].developer and len(roster.heads[developer].unit_ids) > 1
    client = app.test_client()
    sign_in(client, Member("c1", "c1-password-1", secret, user.id))
    key = BrowserKey()
    assert key.enroll(client, world.assembly_id).status_code == 200
    prepared = client.post(f"/committee/a/{world.assembly_id}/transfers/prepare", data={
        "building": "1幢", "unit": "302",
        "transferred_at": local_input(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)),
        "buyer_id_type": "resident_id", "buyer_id_number": "44030419921130005X",
        "official": key_id(key.spki), "evidence": (io.BytesIO(PNG), "record.png")},
        content_type="multipart/form-data").get_json()
    assert prepared["ok"], prepared
    assert prepared["payload"]["unit"] == "1幢-302"
    assert prepared["payload"]["head"] == developer and prepared["payload"]["buyer_head"] == li
    done = client.post(f"/committee/a/{world.assembly_id}/transfers/submit",
                       json=key.sign(prepared)).get_json()
    assert done["ok"], done
    session.rollback()
    sales = sales_now(session, world.assembly_id)
    assert sales is not None
    assert sales.roster.heads[li].unit_ids == ("1幢-301", "1幢-302")
    assert len(sales.roster.heads) == len(roster.heads)  # no owner more
