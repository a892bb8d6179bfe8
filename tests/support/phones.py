"""An owner's phone over the JSON API: a test client that does what the owner's browser does.

``Phone(client, assembly_id)`` verifies an owner against the registry (``match``,
``verify``), makes and enrols a device key and ballot keys like WebCrypto would
(P-256), signs ballots and casts them; ``ready(who)`` does all of that and returns
the ballot template to sign with.  Each phone has a number of its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from identity.store.models import SmsOutbox
from ledger import canonical
from ledger.ballots import key_id, new_nonce, sign_p256, signing_message, spki

_phones = itertools.count(13800000001)


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
