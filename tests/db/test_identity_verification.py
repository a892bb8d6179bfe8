"""Owner verification: registry match, SMS code, accounts, throttling, co-owners."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from identity.errors import (
    CodeInvalid,
    InvalidIdNumber,
    InvalidPhone,
    NotAPerson,
    NotMatched,
    ResendTooSoon,
    SmsError,
    Throttled,
    VerificationExpired,
)
from identity.keyed import KeyedHasher
from identity.pii import PiiCipher
from identity.sms import HttpSmsGateway, normalise_phone
from identity.store import throttle
from identity.store.importer import import_extract
from identity.store.models import Community, Owner, OwnerAccount, RosterVersion
from identity.store.representatives import account_heads, record_unit_representative, voter_for
from identity.store.smsoutbox import OutboxSmsGateway, make_gateway, outbox
from ownervote.audit import AuditEvent
from ownervote.services.verification import Claim, VerificationService
from tests.support.data import REGISTRY_DATA
from tests.support.raw_database import database_bytes
from tests.support.settings import settings_with
from tests.support.staff import make_staff

SETTINGS = settings_with()
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CHEN = dict(name="陈明", id_type="居民身份证", id_number="350881198503120011")
LIN = dict(name="林芳", id_type="居民身份证", id_number="350881198707220022")
HUANG = dict(name="黄伟", id_type="居民身份证", id_number="35080219860101003X")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: int) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def world(session):
    import_extract(session, "测试小区", (REGISTRY_DATA / "small.csv").read_bytes(),
                   settings=SETTINGS)
    session.commit()
    community = session.scalars(select(Community)).one()
    clock = Clock()
    hasher = KeyedHasher.from_settings(SETTINGS)
    service = VerificationService(session, hasher=hasher, cipher=PiiCipher.from_settings(SETTINGS),
                                  gateway=OutboxSmsGateway(session, hasher), clock=clock)
    return service, community.id, clock


def last_code(session) -> str:
    return re.search(r"\d{6}", outbox(session, limit=1)[0].body).group(0)


def verify(service, cid, who, phone="13812345678", client="198.51.100.7", **unit):
    unit = unit or {"certificate_no": "闽(2021)漳平市不动产权第0000101号"}
    matched = service.match(Claim(cid, **who, **unit), client=client)
    service.send_code(matched.token, phone, client=client)
    return matched, service.confirm(matched.token, last_code(service.session), client=client)


def test_full_flow(world, session) -> None:
    service, cid, _ = world
    matched = service.match(Claim(cid, name=" 陈 明", id_type="身份证",
                                  id_number="３５０８８１１９８５０３１２００１１",
                                  certificate_no="闽(2021)漳平市不动产权第0000101号"),
                            client="198.51.100.7")
    assert matched.owner_name_masked == "陈*" and matched.holder_kind == "self"
    assert matched.units == ("1幢-101", "1幢-201", "车库-B1-001")
    sent = service.send_code(matched.token, "+86 138-1234-5678", client="198.51.100.7")
    assert sent.phone_masked == "138****5678"
    message = outbox(session, phone="13812345678", hasher=service.hasher)[0]
    assert message.phone_masked == "138****5678" and "验证码" in message.body
    verified = service.confirm(matched.token, last_code(session), client="198.51.100.7")
    assert (verified.holder_kind, verified.phone_masked, verified.renewed) == (
        "self", "138****5678", False)
    owner = session.get(Owner, verified.owner_id)
    assert owner.verified_at == T0
    account = session.get(OwnerAccount, verified.account_id)
    assert service.cipher.decrypt_text(account.phone_enc,
                                       purpose=f"account.phone:{account.key}") == "13812345678"
    with pytest.raises(VerificationExpired):  # a token is used once
        service.confirm(matched.token, last_code(session), client="198.51.100.7")
    _, again = verify(service, cid, CHEN, phone="13900000000")
    assert again.renewed and again.account_id == verified.account_id
    assert session.get(OwnerAccount, again.account_id).phone_masked == "139****0000"
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-4:] == ["identity.verify.completed", "identity.verify.matched",
                            "identity.verify.code_sent", "identity.verify.completed"]


def test_match_by_building_and_unit(world) -> None:
    service, cid, _ = world
    m = service.match(Claim(cid, name="张三丰", id_type="居民身份证",
                            id_number="350203197006150045", building="1幢", unit="202"),
                      client="c")
    assert m.units == ("1幢-202",)
    with pytest.raises(NotMatched):
        service.match(Claim(cid, name="张三丰", id_type="居民身份证",
                            id_number="350203197006150045", building="1幢", unit="201"),
                      client="c")


@pytest.mark.parametrize("claim", [
    dict(CHEN, name="陈敏"),
    dict(CHEN, id_number="350881198707220022"),  # 林芳's number
    dict(LIN),  # a real owner, of another unit
    dict(name="无名", id_type="居民身份证", id_number="11010519491231002X"),
])
def test_mismatch_is_one_vague_error(world, claim) -> None:
    service, cid, _ = world
    with pytest.raises(NotMatched) as info:
        service.match(Claim(cid, **claim, certificate_no="闽(2021)漳平市不动产权第0000101号"),
                      client="c")
    assert "do not match the registry" in str(info.value)


def test_same_work_whether_or_not_the_claimant_exists(world, monkeypatch) -> None:
    service, cid, _ = world
    calls = []
    real = service.cipher.decrypt_text
    monkeypatch.setattr(service.cipher, "decrypt_text",
                        lambda blob, purpose: calls.append(purpose) or real(blob, purpose=purpose))
    unit = {"certificate_no": "闽(2021)漳平市不动产权第0000102号"}  # 林芳 + 黄伟
    counts = []
    for claim in (dict(name="无名", id_type="居民身份证", id_number="11010519491231002X"),
                  dict(LIN, name="林芳芳"), LIN):
        calls.clear()
        try:
            service.match(Claim(cid, **claim, **unit), client="c")
        except NotMatched:
            pass
        counts.append(len([c for c in calls if c.startswith("owner.name")]))
    # two candidates compared each time; the success only adds the masked-name lookup
    assert counts == [2, 2, 3]


def test_invalid_id_number_is_told(world) -> None:
    service, cid, _ = world
    with pytest.raises(InvalidIdNumber, match="check character"):
        service.match(Claim(cid, **dict(CHEN, id_number="350881198503120012"),
                            building="1幢", unit="101"), client="c")


def test_organisation_cannot_verify_itself(world) -> None:
    service, cid, _ = world
    with pytest.raises(NotAPerson):
        service.match(Claim(cid, name="漳平市测试房地产开发有限公司", id_type="统一社会信用代码",
                            id_number="91350881MA2YQC1K56", building="1幢", unit="401"),
                      client="c")


def test_failures_with_an_owners_id_never_lock_the_owner_out(world, session) -> None:
    # A neighbour who knows 陈明's ID number fails again and again, from several addresses:
    # each address is locked for that ID number, 陈明 is not.
    service, cid, clock = world
    unit = {"certificate_no": "闽(2021)漳平市不动产权第0000101号"}
    for client in ("n1", "n2", "n3"):
        for n in range(throttle.VERIFY_CLAIMANT.max_failures):
            with pytest.raises(NotMatched):
                service.match(Claim(cid, **dict(CHEN, name=f"错{client}{n}"), **unit),
                              client=client)
        with pytest.raises(Throttled) as info:  # this address, this ID: locked
            service.match(Claim(cid, **CHEN, **unit), client=client)
        assert info.value.retry_at == T0 + throttle.VERIFY_CLAIMANT.lockout
    # in this community and every other, the owner with the right facts gets through
    assert service.match(Claim(cid, **CHEN, **unit), client="owner").owner_name_masked == "陈*"
    assert service.match(Claim(cid, **CHEN, building="1幢", unit="201"),
                         client="owner").owner_name_masked == "陈*"


def test_repeated_failures_against_one_owner_tell_the_committee(world, session) -> None:
    from identity.store import attempts

    service, cid, clock = world
    unit = {"certificate_no": "闽(2021)漳平市不动产权第0000101号"}
    for n in range(throttle.VERIFY_TARGET.max_failures + 3):  # one alert per quiet hour
        with pytest.raises(NotMatched):
            service.match(Claim(cid, **dict(CHEN, name=f"错{n}"), **unit), client=f"c{n}")
    chen = session.scalars(select(Owner).where(Owner.id_hash == service.hasher.id_hash(
        "resident_id", CHEN["id_number"]))).one()
    alerts = attempts.repeated_failures(session, cid, T0 - dt.timedelta(days=1))
    assert [(a.owner_id, a.failures) for a in alerts] == [
        (chen.id, throttle.VERIFY_TARGET.max_failures)]
    assert attempts.repeated_failures(session, cid + 1, T0 - dt.timedelta(days=1)) == []
    # an ID number nobody in the community has raises no alert
    for n in range(throttle.VERIFY_TARGET.max_failures):
        with pytest.raises(NotMatched):
            service.match(Claim(cid, name="无名", id_type="居民身份证",
                                id_number="11010519491231002X", **unit), client=f"x{n}")
    assert len(attempts.repeated_failures(session, cid, T0 - dt.timedelta(days=1))) == 1
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == attempts.REPEATED_FAILURES)).one()
    text = json.dumps([event.actor, event.subject, event.detail], ensure_ascii=False)
    assert CHEN["id_number"] not in text and "陈" not in text


def test_the_failing_combination_is_locked(world) -> None:
    service, cid, _ = world
    certificate = "闽(2021)漳平市不动产权第0000101号"
    wrong = Claim(cid, **dict(CHEN, name="陈敏"), certificate_no=certificate)
    for n in range(throttle.VERIFY_COMBINATION.max_failures):
        with pytest.raises(NotMatched):
            service.match(wrong, client=f"c{n}")
    with pytest.raises(Throttled):
        service.match(wrong, client="elsewhere")
    right = Claim(cid, **CHEN, certificate_no="闽(2021)漳平市不动产权第0000101号")
    assert service.match(right, client="elsewhere").owner_name_masked == "陈*"


def test_client_lockout_is_per_client(world) -> None:
    service, cid, _ = world
    for n in range(throttle.VERIFY_CLIENT.max_failures):
        with pytest.raises(NotMatched):
            service.match(Claim(cid, name="某", id_type="护照", id_number=f"E{n:08d}",
                                building="1幢", unit="101"), client="attacker")
    with pytest.raises(Throttled):
        service.match(Claim(cid, **CHEN, building="1幢", unit="101"), client="attacker")
    service.match(Claim(cid, **CHEN, building="1幢", unit="101"), client="owner")


def test_counters_are_shared_between_workers(world, engine) -> None:
    from ownervote.db import make_session_factory

    service, cid, _ = world
    key = service.hasher.opaque("client", "w")
    for _ in range(throttle.VERIFY_CLIENT.max_failures):
        throttle.fail(service.session, throttle.VERIFY_CLIENT, key, T0)
    service.session.commit()
    with make_session_factory(engine)() as other:  # another worker's session
        with pytest.raises(Throttled):
            throttle.check(other, throttle.VERIFY_CLIENT, key, T0 + dt.timedelta(minutes=1))
        throttle.check(other, throttle.VERIFY_CLIENT, key, T0 + dt.timedelta(minutes=16))


def test_window_expiry_and_reset(session) -> None:
    policy = throttle.Policy("t", 3, dt.timedelta(minutes=10), dt.timedelta(minutes=5))
    assert throttle.fail(session, policy, "k", T0) == 2
    assert throttle.fail(session, policy, "k", T0 + dt.timedelta(minutes=11)) == 2  # new window
    throttle.reset(session, policy, "k")
    assert throttle.fail(session, policy, "k", T0) == 2
    assert throttle.fail(session, policy, "k", T0) == 1
    assert throttle.fail(session, policy, "k", T0) == 0
    throttle.reset(session, policy, "k")  # a running lockout survives a success elsewhere
    with pytest.raises(Throttled):
        throttle.check(session, policy, "k", T0 + dt.timedelta(minutes=4))
    throttle.check(session, policy, "k", T0 + dt.timedelta(minutes=5))
    assert throttle.purge(session, T0 + dt.timedelta(days=2)) == 1


def test_wrong_codes_end_the_verification(world, session) -> None:
    service, cid, clock = world
    m = service.match(Claim(cid, **CHEN, building="1幢", unit="101"), client="c")
    with pytest.raises(VerificationExpired, match="no code"):
        service.confirm(m.token, "000000", client="c")
    with pytest.raises(InvalidPhone):
        service.send_code(m.token, "010-12345678", client="c")
    service.send_code(m.token, "13812345678", client="c")
    with pytest.raises(ResendTooSoon):
        service.send_code(m.token, "13812345678", client="c")
    good = last_code(session)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    lefts = []
    for _ in range(5):
        with pytest.raises(CodeInvalid) as info:
            service.confirm(m.token, wrong, client="c")
        lefts.append(info.value.attempts_left)
    assert lefts == [4, 3, 2, 1, 0]
    with pytest.raises(VerificationExpired):
        service.confirm(m.token, good, client="c")


def test_codes_expire(world, session) -> None:
    service, cid, clock = world
    m = service.match(Claim(cid, **CHEN, building="1幢", unit="101"), client="c")
    service.send_code(m.token, "13812345678", client="c")
    clock.advance(minutes=11)
    with pytest.raises(VerificationExpired, match="code has expired"):
        service.confirm(m.token, last_code(session), client="c")
    service.send_code(m.token, "13812345678", client="c")
    assert service.confirm(m.token, last_code(session), client="c").holder_kind == "self"


def test_codes_asked_for_a_strangers_phone_do_not_lock_it(world) -> None:
    # 林芳 verifies as herself and asks codes for 陈明's number, again and again: she is
    # limited, his number is not locked (at most one code a minute reaches it).
    service, cid, clock = world
    chen_phone = "13812345678"
    for _ in range(throttle.SMS_CLAIMANT.max_failures):
        m = service.match(Claim(cid, **LIN, building="1幢", unit="102"), client="lin")
        service.send_code(m.token, chen_phone, client="lin")
        clock.advance(seconds=61)
    m = service.match(Claim(cid, **LIN, building="1幢", unit="102"), client="lin")
    with pytest.raises(Throttled) as info:
        service.send_code(m.token, "13900000001", client="lin")  # any phone: she is limited
    assert info.value.scope == "sms.claimant"
    m = service.match(Claim(cid, **CHEN, building="1幢", unit="101"), client="chen")
    sent = service.send_code(m.token, chen_phone, client="chen")
    assert sent.phone_masked == "138****5678"


def test_a_phone_gets_at_most_one_code_a_minute(world) -> None:
    service, cid, clock = world
    m = service.match(Claim(cid, **LIN, building="1幢", unit="102"), client="lin")
    service.send_code(m.token, "13812345678", client="lin")
    m = service.match(Claim(cid, **CHEN, building="1幢", unit="101"), client="chen")
    with pytest.raises(Throttled) as info:
        service.send_code(m.token, "13812345678", client="chen")
    assert info.value.retry_at == T0 + dt.timedelta(minutes=1)
    clock.advance(seconds=60)
    service.send_code(m.token, "13812345678", client="chen")


def test_verifying_again_ends_every_earlier_sign_in(world, session) -> None:
    from identity.store import sessions
    from ownervote.services import sign_in

    service, cid, clock = world
    _, first = verify(service, cid, CHEN, phone="13900000001", client="impostor")
    principal = sign_in.account_principal(first.account_id)
    impostor = sign_in.start(session, principal, now=clock.now)
    assert sign_in.signed_in(session, principal, impostor, now=clock.now) is not None
    clock.advance(minutes=5)
    _, again = verify(service, cid, CHEN, phone="13812345678", client="owner")
    assert again.account_id == first.account_id and again.generation == first.generation + 1
    assert sign_in.signed_in(session, principal, impostor, now=clock.now) is None
    assert sessions.live_count(session, principal, now=clock.now) == 0


def test_the_replaced_phone_is_told(world, session) -> None:
    service, cid, clock = world
    verify(service, cid, CHEN, phone="13812345678")
    clock.advance(minutes=5)
    _, again = verify(service, cid, CHEN, phone="13900000001", client="elsewhere")
    assert again.phone_replaced
    told = outbox(session, phone="13812345678", hasher=service.hasher, limit=1)[0]
    assert "139****0001" in told.body and "重新验证" in told.body
    clock.advance(minutes=5)
    _, same = verify(service, cid, CHEN, phone="13900000001", client="elsewhere")
    assert not same.phone_replaced  # the same number again: nobody to warn


def test_audit_events_hold_no_personal_data(world, session) -> None:
    service, cid, _ = world
    verify(service, cid, CHEN, phone="13812345678")
    with pytest.raises(NotMatched):
        service.match(Claim(cid, **LIN, building="1幢", unit="101"), client="c")
    dump = json.dumps([[e.actor, e.action, e.subject, e.detail]
                       for e in session.scalars(select(AuditEvent))], ensure_ascii=False)
    for secret in ("陈明", "林芳", "350881198503120011", "350881198707220022", "13812345678",
                   "5678", "198.51.100.7"):
        assert secret not in dump


def test_first_verified_co_owner_votes_unless_the_committee_chooses(world, session) -> None:
    service, cid, clock = world
    unit = {"building": "1幢", "unit": "102"}
    _, lin = verify(service, cid, LIN, phone="13811111111", **unit)
    clock.advance(minutes=5)
    _, huang = verify(service, cid, HUANG, phone="13822222222", **unit)
    version = session.scalars(select(RosterVersion)).one()
    hasher = service.hasher
    heads_l = account_heads(session, session.get(OwnerAccount, lin.account_id), version, hasher)
    heads_h = account_heads(session, session.get(OwnerAccount, huang.account_id), version, hasher)
    shared = {h.head_id: h for h in heads_l}
    pair = [h for h in heads_h if h.head_id in shared][0]
    assert pair.units == ("1幢-102", "2幢-101") and pair.area == Decimal("182.75")
    assert shared[pair.head_id].may_vote and not pair.may_vote
    assert pair.voter.basis == "first_verified" and pair.voter.owner_id == lin.owner_id
    alone = [h for h in heads_l if h.units == ("2幢-102",)][0]  # 林芳's own flat
    assert alone.may_vote and alone.voter.basis == "sole_owner"

    member = make_staff(session, cid, "委员甲")
    from identity.store.models import Unit

    unit_id = session.scalars(select(Unit.id).where(Unit.number == "101",
                                                    Unit.building.has(name="2幢"))).one()
    record_unit_representative(session, unit_id=unit_id, owner_id=huang.owner_id, staff=member)
    session.commit()
    decision = voter_for(session, version.id, [unit_id])
    assert (decision.owner_id, decision.basis) == (huang.owner_id, "committee")
    heads_h = account_heads(session, session.get(OwnerAccount, huang.account_id), version, hasher)
    assert [h.may_vote for h in heads_h if h.head_id == pair.head_id] == [True]


# --- SMS gateways -------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self) -> None:  # (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(_Handler.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_http_gateway_posts_json_with_the_key() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = HttpSmsGateway(f"http://127.0.0.1:{server.server_port}/sms", "secret-key")
        gateway.send("13812345678", "验证码 123456")
        assert _Handler.received[-1] == ("Bearer secret-key",
                                         {"to": "13812345678", "text": "验证码 123456"})
        _Handler.status = 503
        with pytest.raises(SmsError, match="HTTP 503.*138\\*\\*\\*\\*5678"):
            gateway.send("13812345678", "x")
    finally:
        _Handler.status = 200
        server.shutdown()
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsGateway("http://127.0.0.1:9/", "k", timeout=1).send("13812345678", "x")


def test_gateway_choice(session) -> None:
    from dataclasses import replace

    assert isinstance(make_gateway(SETTINGS, session), OutboxSmsGateway)
    assert isinstance(make_gateway(replace(SETTINGS, sms_url="https://sms.example/api",
                                           sms_key="k"), session), HttpSmsGateway)
    with pytest.raises(SmsError, match="production"):
        make_gateway(replace(SETTINGS, env="production"), session)
    with pytest.raises(SmsError, match="SMS_KEY"):
        make_gateway(replace(SETTINGS, sms_url="https://sms.example/api"), session)


@pytest.mark.parametrize("raw,ok", [("13812345678", True), ("+8613812345678", True),
                                    ("0086 138 1234 5678", True), ("１３８１２３４５６７８", True),
                                    ("12812345678", False), ("1381234567", False)])
def test_phone_normalisation(raw: str, ok: bool) -> None:
    if ok:
        assert normalise_phone(raw) == "13812345678"
    else:
        with pytest.raises(InvalidPhone):
            normalise_phone(raw)


def test_logs_show_only_the_masked_phone(world, caplog) -> None:
    import logging

    service, cid, _ = world
    with caplog.at_level(logging.DEBUG):
        verify(service, cid, CHEN, phone="13812345678")
    assert "138****5678" in caplog.text
    for secret in ("13812345678", "陈明", "350881198503120011"):
        assert secret not in caplog.text


def test_database_holds_no_phone_in_clear(world, session, backend, db_url) -> None:
    service, cid, _ = world
    verify(service, cid, CHEN, phone="13912345678")
    m = service.match(Claim(cid, **LIN, building="2幢", unit="102"), client="c")
    service.send_code(m.token, "13787654321", client="c")  # pending verification
    blob = database_bytes(session, backend, db_url)
    assert b"139****5678" in blob
    for secret in ("13912345678", "13787654321", "陈明", "林芳", "350881198503120011"):
        for encoding in ("utf-8", "gb18030"):
            assert secret.encode(encoding) not in blob
