"""Secret ballots through the JSON API (both databases): the template names the election
key, an encrypted ballot is cast and gets its receipt, a ballot whose proof fails is
answered 422 ``bad_ballot_proof`` naming the item, option and proof with nothing written,
and an open ballot in a secret assembly is answered ``wrong_ballot_mode``."""

from __future__ import annotations

import pytest

from ledger.ballots import sign_p256, signing_message
from ledger.secret.ledgerdocs import layout
from ledger.store import logstore
from ledger.store.publish import published
from tests.support.phones import Phone, b64
from tests.support.secret_log import encrypted_payload
from tests.support.small_community import CHEN, make_world


@pytest.fixture
def world(session, ov_settings, app):
    return make_world(session, ov_settings, trustees=2)


def _size(session, aid: int) -> int:
    session.rollback()
    return logstore.get_head(session, aid).size


def _ready(client, session, world):
    phone = Phone(client, world.assembly_id)
    t = phone.ready(CHEN)
    session.rollback()
    shapes = layout(published(session, world.assembly_id)[0].items.values())
    return phone, t, shapes


def _body(payload: dict, key) -> dict:
    return {"payload": payload, "signature": b64(sign_p256(key, signing_message(payload)))}


def test_an_encrypted_ballot_is_cast(client, session, world) -> None:
    phone, t, shapes = _ready(client, session, world)
    assert t["ballot_secrecy"] == "secret"
    assert t["election_key"] == world.ceremony.key.hex()
    key = phone.ballot_keys[t["head"]["id"]]
    payload, sig = encrypted_payload(key, world.ceremony.key, t["origin"], t["head"]["id"],
                                     t["next_seq"], shapes, {"1": "agree", "3": [0, 2]})
    r = phone.cast({"payload": payload, "signature": b64(sig)})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["receipt"] and r.get_json()["seq"] == 1
    after = phone.template()
    assert after["next_seq"] == 2
    # the owner sees which items the ballot voted on, never a choice in clear
    assert after["ballots"][0]["choices"] == {"1": "sealed", "3": "sealed"}
    lookup = client.get(r.get_json()["links"]["lookup"])  # receipts work as today
    assert lookup.status_code == 200, lookup.get_json()
    assert "agree" not in lookup.get_data(as_text=True)


def test_a_bad_proof_is_refused_naming_it_and_nothing_is_written(client, session,
                                                                 world) -> None:
    phone, t, shapes = _ready(client, session, world)
    key = phone.ballot_keys[t["head"]["id"]]
    payload, _ = encrypted_payload(key, world.ceremony.key, t["origin"], t["head"]["id"],
                                   t["next_seq"], shapes, {"1": "agree", "2": "oppose"})
    c = payload["encrypted"]["2"]["sum"]["c"]
    c[0] = ("1" if c[0][0] != "1" else "2") + c[0][1:]
    before = _size(session, world.assembly_id)
    r = phone.cast(_body(payload, key))
    body = r.get_json()
    assert r.status_code == 422, body
    assert body["error"] == "bad_ballot_proof"
    assert (body["item"], body["proof"], body["reason"]) == ("2", "sum", "bad_sum_proof")
    assert body["where"] == "encrypted.2.sum" and "2" in body["message"]
    assert _size(session, world.assembly_id) == before
    # a ballot encrypting two options of a motion at once: its sum proof cannot hold
    forged, _ = encrypted_payload(key, world.ceremony.key, t["origin"], t["head"]["id"],
                                  t["next_seq"], shapes, {"1": "agree"})
    other, _ = encrypted_payload(key, world.ceremony.key, t["origin"], t["head"]["id"],
                                 t["next_seq"], shapes, {"1": "oppose"})
    forged["encrypted"]["1"]["options"][1] = other["encrypted"]["1"]["options"][1]
    r = phone.cast(_body(forged, key))
    assert r.status_code == 422 and r.get_json()["error"] == "bad_ballot_proof"
    assert r.get_json()["proof"] == "sum"
    assert _size(session, world.assembly_id) == before


def test_an_open_ballot_is_refused_in_a_secret_assembly(client, session, world) -> None:
    phone, t, _shapes = _ready(client, session, world)
    before = _size(session, world.assembly_id)
    r = phone.cast(phone.ballot(t, {"1": "agree"}))
    assert r.status_code == 422 and r.get_json()["error"] == "wrong_ballot_mode"
    assert r.get_json()["secrecy"] == "secret"
    assert _size(session, world.assembly_id) == before
