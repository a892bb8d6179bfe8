"""Every ledger refusal a ballot can meet, as the JSON API answers it (both databases).

Each test casts a hand-made, hand-signed ballot through ``POST /api/v1/assemblies/<id>/
ballots`` and checks the API's code, HTTP status, extra fields and that the message is
the Chinese translation of the API's text for that code (``web.api.messages.LEDGER``).
The answer comes from the refusal's code and figures (``ledger.errors.Refusal``), not
from reading the log again.
"""

from __future__ import annotations

import base64

import pytest

from ledger.ballots import key_id, new_nonce, sign_p256, signing_message, spki
from ledger.errors import EntryError, LedgerError, LogStateError, Refusal, SignatureError
from ledger.store import logstore
from ledger.store.committee import append_closing
from tests.support.phones import Phone, b64, new_key
from tests.support.small_community import CHEN, LIN, make_world
from web.i18n import merged_catalog


def hand_made(key, *, head: str, origin: str, seq: int, choices: dict | None = None) -> dict:
    """A ballot built and signed here, as a phone would (ovcrypto.js)."""
    payload = {"choices": choices or {"1": "agree"}, "head": head,
               "key": key_id(spki(key.public_key())), "nonce": new_nonce(), "origin": origin,
               "seq": seq}
    return {"payload": payload, "signature": b64(sign_p256(key, signing_message(payload)))}


def chinese(app, code: str) -> str:
    """The Chinese the API must answer for ``code`` (its English text, translated)."""
    from flask_babel import force_locale

    from web.api.messages import LEDGER

    with app.test_request_context("/"), force_locale("en"):
        english = str(LEDGER[code])
    translated = merged_catalog().get(english)
    assert translated is not None and translated.string, english
    assert translated.string != english
    return translated.string


def refused(app, r, status: int, code: str, **extra) -> None:
    body = r.get_json()
    assert r.status_code == status, body
    assert body == {"error": code, "message": chinese(app, code), **extra}


def ready(client, world, who=CHEN, head: str | None = None) -> tuple[Phone, dict]:
    phone = Phone(client, world.assembly_id)
    return phone, phone.ready(who, head)


def own_key(phone: Phone, t: dict):
    return phone.ballot_keys[t["head"]["id"]]


def test_closed(app, client, session, world) -> None:
    phone, t = ready(client, world)
    session.expire_all()
    logstore.begin_write(session)
    append_closing(session, world.assembly_id, reason="test")
    session.commit()
    r = phone.cast(hand_made(own_key(phone, t), head=t["head"]["id"], origin=t["origin"],
                             seq=t["next_seq"]))
    refused(app, r, 422, "closed")


def test_not_open_says_when_it_opens(app, client, session, ov_settings) -> None:
    w = make_world(session, ov_settings, status="noticed")
    phone, t = ready(client, w)
    assert t["accepting_ballots"] is False and t["opens_at"]
    r = phone.cast(hand_made(own_key(phone, t), head=t["head"]["id"], origin=t["origin"],
                             seq=t["next_seq"]))
    refused(app, r, 422, "not_open", opens_at=t["opens_at"])


def test_key_not_enrolled(app, client, world) -> None:
    phone, t = ready(client, world)
    stranger = new_key()  # a key the log never enrolled
    r = phone.cast(hand_made(stranger, head=t["head"]["id"], origin=t["origin"],
                             seq=t["next_seq"]))
    refused(app, r, 422, "key_not_enrolled")


def test_key_revoked(app, client, world) -> None:
    phone, t = ready(client, world)
    old = own_key(phone, t)
    assert phone.enrol_ballot_key(t).status_code == 201  # a new key replaces the old one
    r = phone.cast(hand_made(old, head=t["head"]["id"], origin=t["origin"], seq=t["next_seq"]))
    refused(app, r, 422, "key_revoked")


def test_wrong_head(app, client, world) -> None:
    phone = Phone(client, world.assembly_id)
    phone.verify(LIN)  # 林芳 votes for two heads
    phone.enrol_device()
    heads = client.get(f"/api/v1/assemblies/{world.assembly_id}/ballot-template"
                       ).get_json()["heads"]
    first, second = (h["id"] for h in heads if h["may_vote"])
    t = phone.template(first)
    assert phone.enrol_ballot_key(t).status_code == 201
    # signed with the first head's key, for the second head
    r = phone.cast(hand_made(phone.ballot_keys[first], head=second, origin=t["origin"], seq=1))
    refused(app, r, 422, "wrong_head")


def test_seq_conflict_gives_the_next_number(app, client, world) -> None:
    phone, t = ready(client, world)
    ballot = hand_made(own_key(phone, t), head=t["head"]["id"], origin=t["origin"],
                       seq=t["next_seq"])
    assert phone.cast(ballot).status_code == 201
    refused(app, phone.cast(ballot), 409, "seq_conflict", next_seq=2)  # replayed
    ahead = hand_made(own_key(phone, t), head=t["head"]["id"], origin=t["origin"], seq=7)
    refused(app, phone.cast(ahead), 409, "seq_conflict", next_seq=2)


def test_bad_signature(app, client, world) -> None:
    phone, t = ready(client, world)
    ballot = hand_made(own_key(phone, t), head=t["head"]["id"], origin=t["origin"],
                       seq=t["next_seq"])
    sig = bytearray(base64.urlsafe_b64decode(ballot["signature"] + "=="))
    sig[20] ^= 0x40
    r = phone.cast({**ballot, "signature": b64(bytes(sig))})
    refused(app, r, 422, "bad_signature")
    # signed by another key than the one it names
    forged = {**ballot, "signature": b64(sign_p256(new_key(),
                                                   signing_message(ballot["payload"])))}
    refused(app, phone.cast(forged), 422, "bad_signature")


def test_wrong_assembly(app, client, session, ov_settings, world) -> None:
    other = make_world(session, ov_settings, title="另一次会议")
    phone, t = ready(client, world)
    ballot = hand_made(own_key(phone, t), head=t["head"]["id"], origin=t["origin"],
                       seq=t["next_seq"])
    refused(app, phone.cast(ballot, assembly_id=other.assembly_id), 422, "wrong_assembly")


def test_english_by_switch(app, client, world) -> None:
    from flask_babel import force_locale

    from web.api.messages import LEDGER

    phone, t = ready(client, world)
    client.set_cookie("lang", "en")
    r = phone.cast(hand_made(new_key(), head=t["head"]["id"], origin=t["origin"], seq=1))
    with app.test_request_context("/"), force_locale("en"):
        english = str(LEDGER["key_not_enrolled"])
    assert r.status_code == 422
    assert r.get_json() == {"error": "key_not_enrolled", "message": english}


def test_a_ballot_key_for_a_closed_log_is_refused_by_the_ledger(app, client, session,
                                                                 world) -> None:
    phone, t = ready(client, world)
    session.expire_all()
    logstore.begin_write(session)
    append_closing(session, world.assembly_id, reason="test")
    session.commit()
    r = phone.enrol_ballot_key(t)
    refused(app, r, 422, "closed")


# -- the mapping itself (no database) -----------------------------------------------------------

@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    """The app without a database (the mapping reads nothing)."""
    from ownervote.config import load_settings
    from web import create_app

    key = base64.urlsafe_b64encode(bytes([7]) * 32).decode()
    folder = tmp_path_factory.mktemp("refusals")
    app = create_app(load_settings({
        "OWNERVOTE_ENV": "test", "OWNERVOTE_INSTANCE_DIR": str(folder),
        "OWNERVOTE_DATABASE_URL": f"sqlite:///{folder}/unused.sqlite3",
        "OWNERVOTE_SECRET_KEY": key, "OWNERVOTE_ID_HASH_KEY": key,
        "OWNERVOTE_PII_KEYS": "t1:" + key, "OWNERVOTE_BASE_URL": "http://ownervote.test",
    }), TESTING=True)
    yield app
    app.extensions["ownervote.engine"].dispose()


@pytest.mark.parametrize("refusal, status, code", [
    (Refusal.WRONG_LOG, 422, "wrong_assembly"), (Refusal.NO_LOG, 404, "no_log"),
    (Refusal.CLOSED, 422, "closed"), (Refusal.KEY_NOT_ENROLLED, 422, "key_not_enrolled"),
    (Refusal.KEY_REVOKED, 422, "key_revoked"), (Refusal.WRONG_HEAD, 422, "wrong_head"),
    (Refusal.BAD_SIGNATURE, 422, "bad_signature"),
])
def test_every_ballot_refusal_has_its_answer(bare_app, refusal, status, code) -> None:
    from web.api.ballots import ledger_refused

    with bare_app.test_request_context("/"):
        answer = ledger_refused(EntryError("refused", 3, code=refusal))
        assert (answer.status, answer.code, answer.extra) == (status, code, {})
        assert answer.message == chinese(bare_app, code)


def test_refusal_figures_become_fields(bare_app) -> None:
    from web.api.ballots import ledger_refused

    with bare_app.test_request_context("/"):
        conflict = ledger_refused(EntryError("x", 3, code=Refusal.SEQ_CONFLICT,
                                             params={"next_seq": 4}))
        assert (conflict.status, conflict.code, conflict.extra) == (409, "seq_conflict",
                                                                    {"next_seq": 4})
        early = ledger_refused(EntryError("x", 3, code=Refusal.NOT_OPEN,
                                          params={"opens_at_ms": 1_800_000_000_000}))
        assert (early.code, early.extra) == ("not_open", {"opens_at": "2027-01-15T08:00:00Z"})


def test_a_fault_of_the_server_is_not_worded_as_a_refusal(bare_app) -> None:
    from web.api.ballots import ledger_refused

    with bare_app.test_request_context("/"):
        assert ledger_refused(LogStateError("this is not the key of this log")) is None
        assert ledger_refused(LedgerError("no checkpoint")) is None
        assert ledger_refused(SignatureError("bad")).code == "bad_signature"
        assert ledger_refused(EntryError("shape")).code == "malformed"
