"""Casting over the API: signed ballots, receipts, revotes and every refusal (both databases)."""

from __future__ import annotations

import base64

import pytest

from ledger.keys import load_or_create_log_key, log_key_name
from ledger.receipts import Receipt, verify_receipt
from ledger.store import logstore
from ledger.store.committee import append_closing
from tests.support.phones import Phone, b64, new_key
from tests.support.small_community import CHEN, HUANG, LIN, WANG, make_world


def log_vkey(settings) -> str:
    return load_or_create_log_key(settings.log_key_file,
                                  log_key_name(settings.base_url)).verifier.vkey


def test_a_signed_ballot_gets_a_receipt_that_verifies(client, app, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    assert t["head"]["units"] == ["1幢-101", "1幢-201"]  # one buyer of two flats: one head
    assert t["next_seq"] == 1 and t["prefix"] == "ownervote/ballot/v1\n"
    r = phone.cast(phone.ballot(t, {"1": "agree", "2": "oppose", "3": ["林秀英", "陈建国"]}))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    receipt = Receipt.from_json(body["receipt"])
    assert receipt.tracker == body["tracker"]
    # The receipt checks out against the newest checkpoint with the log's public key.
    lookup = client.get(f"/api/v1/assemblies/{world.assembly_id}/receipts/{body['tracker']}",
                        query_string={"from": receipt.index + 1}).get_json()
    proof = [bytes.fromhex(h) for h in lookup["consistency"]["proof"]]
    verify_receipt(receipt, lookup["checkpoint"]["note"], proof, log_vkey(world.settings))
    assert lookup["counts_for"] == ["1", "2", "3"] and lookup["replaced"] == {}
    assert lookup["entry_hash"] == receipt.entry_hash.hex()
    # The template now shows what counts and the next number.
    t2 = phone.template()
    assert t2["next_seq"] == 2
    assert [i["current"] for i in t2["items"]] == ["agree", "oppose", ["林秀英", "陈建国"]]


def test_casting_needs_no_session_and_no_csrf(client, app, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    ballot = phone.ballot(t, {"1": "abstain"})
    anonymous = app.test_client()  # another client: no cookie at all
    r = anonymous.post(f"/api/v1/assemblies/{world.assembly_id}/ballots", json=ballot)
    assert r.status_code == 201, r.get_json()


def test_changing_the_vote_the_last_counts(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    first = phone.cast(phone.ballot(t, {"1": "agree", "2": "agree"})).get_json()
    t = phone.template()
    second = phone.cast(phone.ballot(t, {"2": "oppose"})).get_json()
    assert second["seq"] == 2
    url = f"/api/v1/assemblies/{world.assembly_id}/receipts/"
    old = client.get(url + first["tracker"]).get_json()
    assert old["counts_for"] == ["1"] and old["replaced"] == {"2": second["index"]}
    t = phone.template()
    assert [i["current"] for i in t["items"][:2]] == ["agree", "oppose"]
    assert [b["counts_for"] for b in t["ballots"]] == [["1"], ["2"]]


def test_replayed_and_reordered_ballots_are_conflicts(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    ballot = phone.ballot(t, {"1": "agree"})
    assert phone.cast(ballot).status_code == 201
    again = phone.cast(ballot)
    assert again.status_code == 409
    assert again.get_json()["error"] == "seq_conflict" and again.get_json()["next_seq"] == 2
    assert "刷新页面" in again.get_json()["message"]
    ahead = phone.cast(phone.ballot(t, {"1": "oppose"}, seq=5))
    assert ahead.status_code == 409 and ahead.get_json()["next_seq"] == 2


def test_a_ballot_for_another_assembly_is_refused(client, session, ov_settings, world) -> None:
    other = make_world(session, ov_settings, title="另一次会议")
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    ballot = phone.ballot(t, {"1": "agree"})
    r = phone.cast(ballot, assembly_id=other.assembly_id)
    assert r.status_code == 422 and r.get_json()["error"] == "wrong_assembly"
    # re-signed with the other origin, the key is still unknown in that log
    forged = phone.ballot(t, {"1": "agree"}, origin=f"ownervote.test/community-1/assembly/"
                                                    f"{other.assembly_id}")
    r = phone.cast(forged, assembly_id=other.assembly_id)
    assert r.status_code == 422 and r.get_json()["error"] == "key_not_enrolled"


def test_bad_signatures_and_unknown_keys(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    ballot = phone.ballot(t, {"1": "agree"})
    sig = bytearray(base64.urlsafe_b64decode(ballot["signature"] + "=="))
    sig[10] ^= 1
    tampered = {**ballot, "signature": b64(bytes(sig))}
    r = phone.cast(tampered)
    assert r.status_code == 422 and r.get_json()["error"] == "bad_signature"
    changed = {**ballot, "payload": {**ballot["payload"], "choices": {"1": "oppose"}}}
    assert phone.cast(changed).get_json()["error"] == "bad_signature"
    phone.ballot_keys[t["head"]["id"]] = new_key()  # a key the log never enrolled
    r = phone.cast(phone.ballot(t, {"1": "agree"}))
    assert r.status_code == 422 and r.get_json()["error"] == "key_not_enrolled"


@pytest.mark.parametrize("body", [
    None, [], {"payload": {}, "signature": "x"}, {"payload": "x", "signature": "AA"},
    {"signature": "A" * 86}, {"payload": {"origin": "x"}, "signature": "A" * 86, "extra": 1},
])
def test_malformed_ballots_are_400(client, world, body) -> None:
    r = client.post(f"/api/v1/assemblies/{world.assembly_id}/ballots", json=body)
    assert r.status_code == 400 and r.get_json()["error"] == "malformed"
    assert r.get_json()["message"]


def test_malformed_payload_fields_are_400(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    good = phone.ballot(t, {"1": "agree"})
    for change in ({"seq": 0}, {"seq": 1.5}, {"seq": 2**60}, {"nonce": "short"},
                   {"choices": {}}, {"choices": {"1": "maybe"}}, {"key": "XYZ"},
                   {"head": "bad head!"}, {"choices": {"x": "agree"}}):
        r = phone.cast({**good, "payload": {**good["payload"], **change}})
        assert r.status_code == 400, (change, r.get_json())
    r = phone.cast({**good, "signature": good["signature"][:-2]})
    assert r.status_code == 400


def test_rule_refusals_are_422_in_plain_chinese(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    r = phone.cast(phone.ballot(t, {"3": ["陈建国", "林秀英", "黄志明"]}))
    assert r.status_code == 422 and r.get_json()["error"] == "too_many_approvals"
    assert "选举业主委员会委员" in r.get_json()["message"] and r.get_json()["item"] == "3"
    r = phone.cast(phone.ballot(t, {"3": ["王小二"]}))
    assert r.get_json()["error"] == "unknown_candidate"
    r = phone.cast(phone.ballot(t, {"1": ["陈建国"]}))
    assert r.get_json()["error"] == "invalid_choice"
    r = phone.cast(phone.ballot(t, {"9": "agree"}))
    assert r.get_json()["error"] == "unknown_item"


@pytest.mark.parametrize("policy, allowed, code", [("none", 1, "revote_not_allowed"),
                                                   ("once", 2, "revote_already_used")])
def test_revote_policies(client, session, ov_settings, app, policy, allowed, code) -> None:
    w = make_world(session, ov_settings, revote=policy)
    phone = Phone(client, w.assembly_id)
    t = phone.ready(CHEN)
    assert t["revote"]["policy"] == policy
    for _ in range(allowed):
        assert phone.cast(phone.ballot(phone.template(), {"1": "agree"})).status_code == 201
    t = phone.template()
    assert t["items"][0]["locked"]  # the page says so before the owner tries
    assert t["items"][1]["locked"] is None  # a first ballot on another item is no revote
    r = phone.cast(phone.ballot(t, {"1": "oppose"}))
    assert r.status_code == 422 and r.get_json()["error"] == code
    assert r.get_json()["message"] == t["items"][0]["locked"]
    assert phone.cast(phone.ballot(t, {"2": "oppose"})).status_code == 201


def test_closed_voting_refuses_ballots(client, session, world) -> None:
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    session.expire_all()
    logstore.begin_write(session)
    append_closing(session, world.assembly_id, reason="test")
    session.commit()
    r = phone.cast(phone.ballot(t, {"1": "agree"}))
    assert r.status_code == 422 and r.get_json()["error"] == "closed"
    assert "投票已截止" in r.get_json()["message"]


def test_co_owners_one_votes_the_other_is_told_who(client, app, world) -> None:
    lin = Phone(client, world.assembly_id)
    lin.verify(LIN)
    lin.enrol_device()
    # 林芳 holds two heads: the flat she co-owns with 黄伟, and one of her own.
    r = client.get(f"/api/v1/assemblies/{world.assembly_id}/ballot-template")
    assert r.status_code == 400 and r.get_json()["error"] == "choose_head"
    heads = r.get_json()["heads"]
    assert sorted(h["units"] for h in heads) == [["1幢-102", "2幢-101"], ["2幢-102"]]
    shared = next(h["id"] for h in heads if len(h["units"]) == 2)
    t = lin.template(shared)
    assert lin.enrol_ballot_key(t).status_code == 201
    assert lin.cast(lin.ballot(lin.template(shared), {"1": "agree"})).status_code == 201

    huang = Phone(app.test_client(), world.assembly_id)
    huang.verify(HUANG)
    huang.enrol_device()
    t = huang.template()
    assert t["head"]["may_vote"] is False
    assert t["head"]["voter"] == {"basis": "first_verified",
                                  "basis_label": "最先完成身份核验的共有人", "name_masked": "林*"}
    r = huang.enrol_ballot_key(t)
    assert r.status_code == 403 and r.get_json()["error"] == "not_your_head"


def test_ballot_key_needs_the_device_signature(client, world) -> None:
    phone = Phone(client, world.assembly_id)
    phone.verify(WANG)
    phone.enrol_device()
    t = phone.template()
    phone.device = new_key()  # not the enrolled device key
    r = phone.enrol_ballot_key(t)
    assert r.status_code == 403 and r.get_json()["error"] == "bad_device_signature"


def test_a_new_phone_revokes_the_old_phones_keys(client, app, world) -> None:
    old = Phone(client, world.assembly_id)
    t = old.ready(CHEN)
    new = Phone(app.test_client(), world.assembly_id)
    t_new = new.ready(CHEN)
    assert t_new["ballot_key"] != t["ballot_key"]
    r = old.cast(old.ballot(t, {"1": "agree"}))
    assert r.status_code == 422 and r.get_json()["error"] == "key_revoked"
    assert new.cast(new.ballot(t_new, {"1": "agree"})).status_code == 201


def test_a_high_s_twin_of_a_ballot_signature_is_refused(client, world) -> None:
    """(r, n − s) verifies too; a relay must not land it first as another entry (another
    tracker code) and make the owner's own ballot a seq_conflict."""
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    ballot = phone.ballot(t, {"1": "agree"})
    sig = base64.urlsafe_b64decode(ballot["signature"] + "==")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    high = sig[:32] + (order - int.from_bytes(sig[32:], "big")).to_bytes(32, "big")
    twin = phone.cast({**ballot, "signature": b64(high)})
    assert twin.status_code == 422 and twin.get_json()["error"] == "bad_signature"
    assert phone.cast(ballot).status_code == 201
