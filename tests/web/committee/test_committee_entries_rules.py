"""The committee's signed entries obey the domain's rules however they arrive (SQLite and
PostgreSQL): hand-made payloads, signed with a member's enrolled browser key but never
prepared by the console, are refused by the submit endpoints exactly as the ledger's own
functions refuse them — a transfer of a head of several units, a proxy beyond the
assembly's cap (or in an assembly without proxies, or twice), a void without a proper
reason.  Every refusal code is worded in Chinese and English."""

from __future__ import annotations

import datetime as dt
import io
import random
import re

import pytest
from sqlalchemy import func, select

from identity.pii import PiiCipher
from identity.store.importer import import_extract
from identity.store.models import Community
from identity.store.staff import create_staff
from identity.synthetic import resident_id
from ledger import canonical, timestamps
from ledger.ballots import key_id, new_nonce, sign_p256
from ledger.entries import PREFIXES, signed_message
from ledger.errors import EntryError, Refusal
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.kinds import PROXY_REGISTERED, UNIT_TRANSFERRED, VOIDED
from ledger.store import committee, logstore
from ledger.store.models import LedgerEntry
from ledger.store.proceedings import ItemSpec, create_assembly, open_voting, publish_notice
from ledger.store.publish import published
from ownervote.audit import AuditEvent
from ownervote.services.committee_keys import EntryRefusal
from tests.support.committee_console import PNG, BrowserKey, Member, extract, local_input, sign_in
from voting.errors import RefusalReason
from voting.settings import AssemblySettings
from voting.store.models import Proxy

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
TWIN = ("1幢-201", "1幢-202")  # one owner holds both: one head of two units
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def twins(app, session, ov_settings) -> tuple[Community, Member]:
    """A community where one owner holds 1幢-201 and 1幢-202, and a committee member."""
    rows = extract(21)
    first = next(r for r in rows if (r["building"], r["unit"]) == ("1幢", "201"))
    second = next(r for r in rows if (r["building"], r["unit"]) == ("1幢", "202"))
    second.update(owner_name=first["owner_name"], id_type=first["id_type"],
                  id_number=first["id_number"])
    import_extract(session, "双套花园", rows, settings=ov_settings)
    session.commit()
    community = session.query(Community).filter_by(name="双套花园").one()
    user, secret = create_staff(session, PiiCipher.from_settings(ov_settings), username="m1",
                                password="m1-password-1", role="committee", community=community)
    session.commit()
    return community, Member("m1", "m1-password-1", secret, user.id)


def _open(session, ov_settings, community_id: int, proxy_cap: int | None = 1) -> int:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    a = create_assembly(session, community_id, "2027年第三次业主大会会议",
                        [ItemSpec("选聘物业服务企业", 4, "服务期三年。")],
                        settings=AssemblySettings(proxy_cap=proxy_cap),
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


def _heads(session, aid: int) -> dict[str, str]:
    """Unit label -> head id in the frozen roster."""
    roster = published(session, aid)[1]
    session.commit()
    return dict(roster.head_of_unit)


def _hand_made(key: BrowserKey, kind: str, payload: dict) -> dict:
    """What a hand-made request sends: a payload the console never prepared, signed with
    the member's enrolled key exactly as the browser signs."""
    return key.sign({"prefix": PREFIXES[kind].decode("ascii"), "payload": payload})


def _count(session, aid: int, kind: str) -> int:
    session.rollback()  # a new transaction sees what the app committed
    return session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.assembly_id == aid, LedgerEntry.kind == kind))


def _audited(session, action: str) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action))


def _ledger_refusal(session, append, aid: int, payload: dict, kind: str, key: BrowserKey):
    """The ledger function's own refusal of the same signed payload (nothing written)."""
    session.rollback()
    logstore.begin_write(session)
    sig = sign_p256(key.key, signed_message(kind, payload))
    try:
        with pytest.raises(EntryError) as refused:
            append(session, aid, payload, sig)
    finally:
        session.rollback()
    return refused.value


def test_a_transfer_of_one_unit_of_a_head_of_several_names_the_unit(
        app, client, session, ov_settings, twins) -> None:
    """A unit counted with others as one owner is sold by naming it (the head is split,
    docs/rules.md 7.7): the console's form names it; a hand-made entry that does not, or
    names a unit not in the seller's head, is refused by the ledger's own rule."""
    community, m1 = twins
    aid = _open(session, ov_settings, community.id)
    heads = _heads(session, aid)
    assert heads[TWIN[0]] == heads[TWIN[1]]
    origin = logstore.get_head(session, aid).origin
    session.commit()
    sign_in(client, m1)
    key = BrowserKey()
    assert key.enroll(client, aid).get_json()["enrolled"] is True

    # The console's form names the unit typed in ...
    prepared = client.post(f"/committee/a/{aid}/transfers/prepare", data={
        "building": "1幢", "unit": "201",
        "transferred_at": local_input(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)),
        "buyer_id_type": "resident_id", "buyer_id_number": resident_id(random.Random(3)),
        "official": key_id(key.spki), "evidence": (io.BytesIO(PNG), "record.png")},
        content_type="multipart/form-data").get_json()
    assert prepared["ok"] is True, prepared
    assert prepared["payload"]["unit"] == "1幢-201"
    assert prepared["payload"]["head"] == heads[TWIN[0]]

    # ... and a hand-made payload for the same head without a unit is refused on submit.
    def transfer(head: str, **unit: str) -> dict:
        return {"origin": origin, "head": head, "buyer": "v-" + "b" * 32,
                "transferred_at": timestamps.now_ms() - 60_000, "official": key_id(key.spki),
                "nonce": new_nonce(), "evidence_sha256": "ab" * 32, **unit}

    payload = transfer(heads[TWIN[0]])
    r = client.post(f"/committee/a/{aid}/transfers/submit",
                    json=_hand_made(key, UNIT_TRANSFERRED, payload))
    assert r.status_code == 200 and r.get_json()["ok"] is False
    error = r.get_json()["error"]
    assert "合计为一名业主" in error and "1幢-201、1幢-202" in error, error
    wrong = transfer(heads[TWIN[0]], unit="1幢-101")
    r = client.post(f"/committee/a/{aid}/transfers/submit",
                    json=_hand_made(key, UNIT_TRANSFERRED, wrong))
    assert r.get_json()["ok"] is False and "不是出卖人的房屋" in r.get_json()["error"], r.get_json()
    assert _count(session, aid, UNIT_TRANSFERRED) == 0
    assert _audited(session, "unit.transfer") == 0

    # The ledger function refuses them by itself, with the code and the units.
    refused = _ledger_refusal(session, committee.record_transfer, aid, payload, UNIT_TRANSFERRED,
                              key)
    assert refused.code is Refusal.MULTI_UNIT_TRANSFER
    assert refused.params == {"units": list(TWIN)}
    refused = _ledger_refusal(session, committee.record_transfer, aid, wrong, UNIT_TRANSFERRED,
                              key)
    assert refused.code is Refusal.UNIT_NOT_IN_HEAD
    assert refused.params == {"unit": "1幢-101", "units": list(TWIN)}

    # Naming the unit, or selling a head of one unit, goes through: the rule refused them.
    for fine in (transfer(heads[TWIN[0]], unit=TWIN[1]), transfer(heads["1幢-101"])):
        done = client.post(f"/committee/a/{aid}/transfers/submit",
                           json=_hand_made(key, UNIT_TRANSFERRED, fine)).get_json()
        assert done["ok"], done
    assert _count(session, aid, UNIT_TRANSFERRED) == 2
    assert _audited(session, "unit.transfer") == 2

    # Voiding it needs a reason the ledger can publish: a hand-made void without one fails.
    void = {"origin": origin, "target": done["entry"], "reason": "错", "official": key_id(key.spki),
            "nonce": new_nonce()}
    r = client.post(f"/committee/a/{aid}/void/submit", json=_hand_made(key, VOIDED, void))
    assert r.get_json()["ok"] is False and "4至200字" in r.get_json()["error"], r.get_json()
    assert _count(session, aid, VOIDED) == 0

    # Another member's key (not enrolled for this member) is refused before the ledger.
    stranger = BrowserKey()
    r = client.post(f"/committee/a/{aid}/transfers/submit", json=_hand_made(
        stranger, UNIT_TRANSFERRED, {**transfer(heads["1幢-102"]),
                                     "official": key_id(stranger.spki)}))
    assert r.status_code == 403 and r.get_json()["ok"] is False


def test_a_proxy_beyond_the_cap_is_refused(app, client, session, ov_settings, twins) -> None:
    community, m1 = twins
    aid = _open(session, ov_settings, community.id, proxy_cap=1)
    heads = _heads(session, aid)
    origin = logstore.get_head(session, aid).origin
    session.commit()
    sign_in(client, m1)
    key = BrowserKey()
    assert key.enroll(client, aid).status_code == 200
    agent = "agent-" + "7" * 32

    def proxy(unit: str) -> dict:
        return {"origin": origin, "head": heads[unit], "agent": agent,
                "official": key_id(key.spki), "nonce": new_nonce(), "evidence_sha256": "cd" * 32}

    def submit(payload: dict):
        return client.post(f"/committee/a/{aid}/proxies/submit",
                           json={**_hand_made(key, PROXY_REGISTERED, payload),
                                 "agent_name": "王小明"}).get_json()

    assert submit(proxy("1幢-101"))["ok"]
    # The cap is 1: the same agent for a second owner is refused, with the figures.
    second = proxy("1幢-102")
    refused = submit(second)
    assert refused["ok"] is False and "最多代理 1 位" in refused["error"], refused
    assert _count(session, aid, PROXY_REGISTERED) == 1
    assert session.scalar(select(func.count()).select_from(Proxy)) == 1
    assert _audited(session, "proxy.register") == 1
    # Registering the same proxy twice is refused too.
    again = submit(proxy("1幢-101"))
    assert again["ok"] is False and "已登记为该业主的代理人" in again["error"], again

    error = _ledger_refusal(session, committee.register_proxy, aid, second, PROXY_REGISTERED, key)
    assert error.code is Refusal.PROXY_CAP_EXCEEDED and error.params == {"cap": 1, "heads": 1}
    error = _ledger_refusal(session, committee.register_proxy, aid, proxy("1幢-101"),
                            PROXY_REGISTERED, key)
    assert error.code is Refusal.PROXY_ALREADY_REGISTERED
    assert _count(session, aid, PROXY_REGISTERED) == 1


def test_an_assembly_without_proxies_refuses_them(app, client, session, ov_settings,
                                                  twins) -> None:
    community, m1 = twins
    aid = _open(session, ov_settings, community.id, proxy_cap=0)
    heads = _heads(session, aid)
    origin = logstore.get_head(session, aid).origin
    session.commit()
    sign_in(client, m1)
    key = BrowserKey()
    assert key.enroll(client, aid).status_code == 200
    payload = {"origin": origin, "head": heads["2幢-101"], "agent": "agent-" + "8" * 32,
               "official": key_id(key.spki), "nonce": new_nonce(), "evidence_sha256": "cd" * 32}
    r = client.post(f"/committee/a/{aid}/proxies/submit",
                    json=_hand_made(key, PROXY_REGISTERED, payload)).get_json()
    assert r["ok"] is False and "不接受委托投票" in r["error"], r

    error = _ledger_refusal(session, committee.register_proxy, aid, payload, PROXY_REGISTERED, key)
    assert error.code is Refusal.PROXIES_NOT_ALLOWED
    assert _count(session, aid, PROXY_REGISTERED) == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_refusal_code_is_worded(app, lang) -> None:
    """Each code of the three tables has a message in the reader's language, built from
    made-up figures (Chinese text in Chinese; no Chinese in the English pages)."""
    from ledger.errors import LedgerError
    from ownervote.services.committee_keys import EntryRefused
    from web.committee import refusals

    figures = {"units": ["1幢-201", "1幢-202"], "entries": [7, 9], "entry": 5, "cap": 2,
               "heads": 2, "min": 4, "max": 200, "unit": "1幢-909", "voided_by": None}
    assert set(refusals.LEDGER_MESSAGES) == set(Refusal)
    assert set(refusals.ENTRY_MESSAGES) == set(EntryRefusal)
    assert set(refusals.CAST_MESSAGES) == set(RefusalReason)
    with app.test_request_context(f"/?lang={lang}"):
        texts = [refusals.ledger_refusal(LedgerError("x", code=code, params=figures), action)
                 for code in Refusal for action in ("paper", "proxy", "transfer", "void", "key")]
        texts += [refusals.entry_refusal(EntryRefused(code, figures), "key")
                  for code in EntryRefusal]
        texts += [refusals.CAST_MESSAGES[reason]({"item": "2", "paper_at": lambda: None,
                                                  "electronic_at": lambda: None,
                                                  "who": lambda: "1幢-101"})
                  for reason in RefusalReason]
        # the co-owner refusal names who votes for the unit
        assert "1幢-101" in refusals.CAST_MESSAGES[RefusalReason.CO_OWNER_ALREADY_VOTED](
            {"who": lambda: "1幢-101"})
    for text in texts:
        words = re.sub(r"1幢-\d+", "", text)  # the figures hold Chinese in every language
        assert words.strip() and bool(CJK.search(words)) == (lang == "zh"), text


def test_a_high_s_signature_of_a_committee_entry_is_refused(app, client, session, ov_settings,
                                                            twins) -> None:
    """ECDSA's other form (r, n − s) of a member's valid signature is refused: otherwise
    whoever relays the request could land the entry as other bytes (ledger.ballots)."""
    community, m1 = twins
    aid = _open(session, ov_settings, community.id)
    heads = _heads(session, aid)
    origin = logstore.get_head(session, aid).origin
    session.commit()
    sign_in(client, m1)
    key = BrowserKey()
    assert key.enroll(client, aid).get_json()["enrolled"] is True
    payload = {"origin": origin, "head": heads["1幢-101"], "buyer": "v-" + "b" * 32,
               "transferred_at": timestamps.now_ms() - 60_000, "official": key_id(key.spki),
               "nonce": new_nonce(), "evidence_sha256": "ab" * 32}
    signed = _hand_made(key, UNIT_TRANSFERRED, payload)
    sig = canonical.unb64url(signed["sig"], "sig")
    high = sig[:32] + (P256_ORDER - int.from_bytes(sig[32:], "big")).to_bytes(32, "big")
    r = client.post(f"/committee/a/{aid}/transfers/submit",
                    json={**signed, "sig": canonical.b64url(high)})
    assert r.status_code == 200 and r.get_json()["ok"] is False
    assert "签名验证失败" in r.get_json()["error"], r.get_json()
    assert _count(session, aid, UNIT_TRANSFERRED) == 0
    done = client.post(f"/committee/a/{aid}/transfers/submit", json=signed).get_json()
    assert done["ok"], done
    assert _count(session, aid, UNIT_TRANSFERRED) == 1
