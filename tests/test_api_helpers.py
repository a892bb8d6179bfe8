"""Helpers for the API and owner-page tests (no tests here).

``world``: the small registry extract (tests/data/registry/small.csv) imported
into a community, and an open assembly with a motion, a special matter and an
election, through the same proceedings the committee uses.  ``Phone`` does what
the owner's browser does: verify, make and enrol keys, sign and cast ballots.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from identity.store.importer import import_extract
from identity.store.models import Community, SmsOutbox
from ledger import canonical
from ledger.ballots import key_id, new_nonce, sign_p256, signing_message, spki
from ledger.keys import load_or_create_log_key, log_key_name
from ledger.store import logstore
from ledger.store.proceedings import ItemSpec, create_assembly, open_voting, publish_notice
from voting.settings import AssemblySettings

SMALL = Path(__file__).parent / "data" / "registry" / "small.csv"

# People of small.csv (fake): name, ID number, certificate, (building, unit)
CHEN = ("陈明", "350881198503120011", "闽(2021)漳平市不动产权第0000101号", ("1幢", "101"))
LIN = ("林芳", "350881198707220022", "闽(2021)漳平市不动产权第0000102号", ("1幢", "102"))
HUANG = ("黄伟", "35080219860101003X", "闽(2021)漳平市不动产权第0000102号", ("1幢", "102"))
WANG = ("王五", "350881196502280065", "闽(2020)漳平市不动产权第0000301号", ("2幢", "商铺01"))
ZHANG = ("张三丰", "350203197006150045", None, ("1幢", "202"))

_phones = itertools.count(13800000001)


@dataclass
class World:
    assembly_id: int
    community_id: int
    settings: object


def make_world(session, ov_settings, *, revote: str = "until_close", status: str = "open",
               title: str = "2026年第二次业主大会会议") -> World:
    """Import the small extract (once) and add a published assembly."""
    community = session.query(Community).filter_by(name="测试小区").one_or_none()
    if community is None:
        import_extract(session, "测试小区", SMALL.read_bytes(), settings=ov_settings)
        session.commit()
        community = session.query(Community).filter_by(name="测试小区").one()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    a = create_assembly(
        session, community.id, title,
        [ItemSpec("选聘物业服务企业", 4, "拟选聘鹭安物业，服务期三年。"),
         ItemSpec("筹集住宅专项维修资金", 6, "按每平方米30元续筹。"),
         ItemSpec("选举业主委员会委员", 3, "三名候选人选两名。", kind="election", seats=2,
                  candidates=("陈建国", "林秀英", "黄志明"))],
        settings=AssemblySettings(revote=revote),
        opens_at=now - dt.timedelta(days=1) if status == "open" else now + dt.timedelta(days=20),
        closes_at=now + dt.timedelta(days=14) if status == "open" else now + dt.timedelta(days=30),
        actor="test")
    session.commit()
    signer = load_or_create_log_key(ov_settings.log_key_file, log_key_name(ov_settings.base_url))
    logstore.begin_write(session)
    notice = now - dt.timedelta(days=17) if status == "open" else now
    publish_notice(session, a, signer, ownervote_settings=ov_settings, now=notice, actor="test")
    if status == "open":
        open_voting(session, a, signer, now=a.opens_at, actor="test")
    session.commit()
    return World(a.id, community.id, ov_settings)


@pytest.fixture
def world(session, ov_settings, app) -> World:
    return make_world(session, ov_settings)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def b64(data: bytes) -> str:
    return canonical.b64url(data)


@dataclass
class Phone:
    """One owner's phone: a test client with a cookie jar and WebCrypto-like keys."""

    client: object
    assembly_id: int
    csrf: str = ""
    device: ec.EllipticCurvePrivateKey | None = None
    ballot_keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    number: str = field(default_factory=lambda: str(next(_phones)))

    def refresh_csrf(self) -> str:
        self.csrf = self.client.get("/api/v1/session").get_json()["csrf_token"]
        return self.csrf

    def post(self, path: str, body: dict, *, csrf: bool = True):
        headers = {"X-CSRFToken": self.csrf} if csrf else {}
        return self.client.post(path, json=body, headers=headers)

    def match(self, who, *, by_unit: bool = False, **extra):
        name, id_number, certificate, (building, unit) = who
        body = {"assembly_id": self.assembly_id, "name": name, "id_number": id_number, **extra}
        if certificate and not by_unit:
            body["certificate_no"] = certificate
        else:
            body.update(building=building, unit=unit)
        if not self.csrf:
            self.refresh_csrf()
        return self.post("/api/v1/verification/match", body)

    def verify(self, who, session=None, **kw) -> dict:
        r = self.match(who, **kw)
        assert r.status_code == 200, r.get_json()
        token = r.get_json()["token"]
        r = self.post("/api/v1/verification/code", {"token": token, "phone": self.number})
        assert r.status_code == 200, r.get_json()
        body = r.get_json()["demo_sms"]["body"]
        code = body.split("验证码 ")[1][:6]
        r = self.post("/api/v1/verification/confirm", {"token": token, "code": code})
        assert r.status_code == 200, r.get_json()
        self.csrf = r.get_json()["csrf_token"]
        return r.get_json()["account"]

    def enrol_device(self) -> dict:
        self.device = new_key()
        r = self.post("/api/v1/devices", {"spki": b64(spki(self.device.public_key()))})
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def template(self, head: str | None = None) -> dict:
        url = f"/api/v1/assemblies/{self.assembly_id}/ballot-template"
        r = self.client.get(url, query_string={"head": head} if head else {})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def enrol_ballot_key(self, t: dict, key: ec.EllipticCurvePrivateKey | None = None):
        key = key or new_key()
        der = spki(key.public_key())
        request = b"ownervote/ballot-key-request/v1\n" + canonical.encode(
            {"device": key_id(spki(self.device.public_key())), "head": t["head"]["id"],
             "origin": t["origin"], "spki": b64(der)})
        r = self.post(f"/api/v1/assemblies/{self.assembly_id}/ballot-keys",
                      {"head": t["head"]["id"], "spki": b64(der),
                       "signature": b64(sign_p256(self.device, request))})
        if r.status_code == 201:
            self.ballot_keys[t["head"]["id"]] = key
        return r

    def ballot(self, t: dict, choices: dict, *, seq: int | None = None,
               origin: str | None = None) -> dict:
        key = self.ballot_keys[t["head"]["id"]]
        payload = {"choices": choices, "head": t["head"]["id"],
                   "key": key_id(spki(key.public_key())), "nonce": new_nonce(),
                   "origin": origin or t["origin"], "seq": seq or t["next_seq"]}
        return {"payload": payload, "signature": b64(sign_p256(key, signing_message(payload)))}

    def cast(self, body: dict, assembly_id: int | None = None):
        # no cookie needed, no CSRF header: the signature authenticates the ballot
        return self.client.post(f"/api/v1/assemblies/{assembly_id or self.assembly_id}/ballots",
                                json=body)

    def ready(self, who, head: str | None = None, **kw) -> dict:
        """Verified, device enrolled, ballot key enrolled: the template to sign with."""
        self.verify(who, **kw)
        self.enrol_device()
        t = self.template(head)
        assert self.enrol_ballot_key(t).status_code == 201
        return self.template(head)


def last_sms(session) -> str:
    return session.query(SmsOutbox).order_by(SmsOutbox.id.desc()).first().body
