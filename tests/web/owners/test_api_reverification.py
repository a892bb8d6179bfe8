"""Verifying as someone who already has an account (issue 15, items 1-3): the earlier
sign-ins end, the replaced phone is told, and failed matches with an owner's ID number lock
out the one who fails, never the owner (the committee hears of them)."""

from __future__ import annotations

from identity.keyed import KeyedHasher
from identity.store.smsoutbox import outbox
from ledger.ballots import spki
from tests.support.phones import Phone, b64, new_key
from tests.support.small_community import CHEN, LIN
from tests.support.staff import make_staff
from tests.support.worlds import sign_in_as


def _phone(app, world, address: str) -> Phone:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Phone(client, world.assembly_id)


def _template(phone: Phone):
    return phone.client.get(f"/api/v1/assemblies/{phone.assembly_id}/ballot-template")


def test_the_owner_verifying_again_pushes_the_impostor_out(app, world) -> None:
    impostor = _phone(app, world, "203.0.113.9")
    impostor.verify(CHEN)
    impostor.enrol_device()
    assert _template(impostor).status_code == 200
    remember = impostor.client.get_cookie("remember_token")
    assert remember is not None
    reopened = _phone(app, world, "203.0.113.9")  # the browser closed and opened again
    reopened.client.set_cookie("remember_token", remember.value)
    assert _template(reopened).status_code == 200

    owner = _phone(app, world, "198.51.100.7")
    owner.verify(CHEN)
    owner.enrol_device()

    assert impostor.client.get("/api/v1/session").get_json()["signed_in"] is False
    r = _template(impostor)
    assert r.status_code == 401 and "items" not in r.get_json()
    r = impostor.post("/api/v1/devices", {"spki": b64(spki(new_key().public_key()))})
    assert r.status_code == 401
    reopened = _phone(app, world, "203.0.113.9")
    reopened.client.set_cookie("remember_token", remember.value)
    assert _template(reopened).status_code == 401
    assert _template(owner).status_code == 200  # the owner's own session is the live one


def test_a_browser_that_verified_before_cannot_switch_back(app, world) -> None:
    # The impostor verified as 陈明, then as herself in the same browser: the page offers to
    # switch between the two.  Once 陈明 verifies again, that browser cannot switch back.
    impostor = _phone(app, world, "203.0.113.9")
    chen = impostor.verify(CHEN)
    impostor.number = "13700000001"  # a phone gets one code a minute
    impostor.verify(LIN)
    listed = impostor.client.get("/api/v1/session").get_json()["accounts"]
    assert chen["id"] in [a["id"] for a in listed]

    _phone(app, world, "198.51.100.7").verify(CHEN)

    listed = impostor.client.get("/api/v1/session").get_json()["accounts"]
    assert chen["id"] not in [a["id"] for a in listed]
    r = impostor.client.post(f"/a/{world.assembly_id}/acting-for",
                             data={"account": str(chen["id"])},
                             headers={"X-CSRFToken": impostor.csrf})
    assert r.status_code == 403
    assert impostor.client.get("/api/v1/session").get_json()["account"]["id"] != chen["id"]


def test_the_replaced_phone_gets_the_warning(app, world, session) -> None:
    hasher = KeyedHasher.from_settings(world.settings)
    owner = _phone(app, world, "198.51.100.7")
    owner.verify(CHEN)
    owner.enrol_device()
    impostor = _phone(app, world, "203.0.113.9")
    impostor.verify(CHEN)
    impostor.enrol_device()
    session.expire_all()
    told = outbox(session, phone=owner.number, hasher=hasher, limit=1)[0]
    assert "验证码" not in told.body and "重新验证" in told.body
    assert told.body.count(impostor.number[-4:]) == 1  # the new number, masked
    # the new phone hears of the replaced device key, as before
    assert "新手机" in outbox(session, phone=impostor.number, hasher=hasher, limit=1)[0].body


def test_failed_matches_with_an_owners_id_lock_out_the_one_who_fails(app, world,
                                                                      session) -> None:
    name, number, cert, home = CHEN
    for address in ("203.0.113.1", "203.0.113.2"):
        attacker = _phone(app, world, address)
        for n in range(5):
            assert attacker.match((f"王{n}", number, cert, home)).status_code == 422
        r = attacker.match(CHEN)
        assert r.status_code == 429 and r.get_json()["error"] == "locked_out"
    assert _phone(app, world, "198.51.100.7").match(CHEN).status_code == 200

    member = make_staff(session, world.community_id, "weiyuan")
    session.commit()
    committee = app.test_client()
    sign_in_as(committee, app, f"s:{member.id}")
    html = committee.get(f"/committee/review?community_id={world.community_id}") \
        .get_data(as_text=True)
    assert "多次核验失败" in html and "陈*" in html and "1幢-101" in html
    assert name not in html and number not in html
